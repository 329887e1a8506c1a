// Child process for case-atomic.test.ts: holds a case file open until it is killed.
import { CaseSession } from '../../src-main/engine/case/session.ts';

await CaseSession.open(process.argv[2]!, { autosaveMs: 0 });
process.stdout.write('open\n');
setInterval(() => undefined, 1000);
