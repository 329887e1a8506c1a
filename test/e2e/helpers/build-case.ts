/**
 * Builds a tiny investigation from test/fixtures/shell with the real engine (ingest service, then
 * an atomic save). Used by the e2e global setup when resources/demo.tscope is not built.
 *   node --import tsx test/e2e/helpers/build-case.ts <out.tscope>
 */
import { join } from 'node:path';
import { Workspace } from '../../../src-main/engine/workspace.ts';

async function main(): Promise<void> {
  const out = process.argv[2];
  if (!out) throw new Error('usage: build-case.ts <out.tscope>');
  const fixtures = join(__dirname, '../../fixtures/shell');
  const ws = new Workspace({ mode: 'browser', log: (m) => process.stderr.write(`${m}\n`) });
  await ws.create(out);
  let failed: string | null = null;
  ws.onEvent((event, payload) => {
    if (event !== 'ingest.done') return;
    const done = payload as { files: { outcome: string; path: string; message?: string }[] };
    const bad = done.files.find((f) => f.outcome === 'failed');
    if (bad) failed = `${bad.path}: ${bad.message}`;
  });
  await ws.startIngest([join(fixtures, '01-accepted-rejected.default-v2.log'), join(fixtures, 'mixed-bad-lines.log')]);
  await ws.idle();
  if (failed) throw new Error(`building the e2e case failed: ${failed}`);
  await ws.requireSession().save();
  await ws.shutdown();
  process.stdout.write(`built ${out}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
