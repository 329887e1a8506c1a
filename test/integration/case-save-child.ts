// Child process for case-atomic.test.ts: opens a case, makes it large, and saves it. The test kills
// it with SIGKILL while the save is writing.
import { CaseSession } from '../../src-main/engine/case/session.ts';

async function main(file: string): Promise<void> {
  const s = await CaseSession.open(file, { autosaveMs: 0 });
  await (await s.writable()).run(
    "INSERT INTO quarantine SELECT 1, 'big.log', i, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) || md5((i * 13)::VARCHAR), 'filler' FROM range(1000000) t(i)",
  );
  process.stdout.write('saving\n');
  await s.save();
  process.stdout.write('saved\n');
  await s.close();
}

main(process.argv[2]!).catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
