// Child process for case-atomic.test.ts: holds a case file open until it is killed.
import { CaseSession } from '../../src-main/engine/case/session.ts';

CaseSession.open(process.argv[2]!, { autosaveMs: 0 }).then(
  () => {
    process.stdout.write('open\n');
    setInterval(() => undefined, 1000);
  },
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = 1;
  },
);
