/**
 * `npm run bench:analyze`: the same ≥ 2 M records as bench:ingest, ingested into a fresh case, then
 * timed through runAnalysis (conversations, rollups, detectors), each step in its own process.
 */
import { join } from 'node:path';
import { bulkData, runChild, tsxArgs, rate } from './common.ts';

async function main(): Promise<void> {
  const data = await bulkData();
  try {
    const child = join(import.meta.dirname ?? 'test/bench', 'child.ts');
    const casePath = join(data.dir, 'x.tscope');
    const ing = await runChild(...tsxArgs(child, ['ingest', join(data.dir, 'export'), casePath]));
    const records = Number(/"records":(\d+)/.exec(ing.stdout)?.[1] ?? 0);
    console.log(`ingest:   ${ing.seconds.toFixed(1)} s (${rate(records, ing.seconds)}), peak RSS ${ing.peakRssMb.toFixed(0)} MB`);
    let an;
    try {
      an = await runChild(...tsxArgs(child, ['analyze', casePath]));
    } catch (e) {
      console.log(`analysis failed: ${(e as Error).message.split('\n')[0]}`);
      process.exitCode = 1;
      return;
    }
    const out = JSON.parse(an.stdout.trim().split('\n').pop()!) as { findings: number; timings: Record<string, number> };
    console.log(`analysis: ${an.seconds.toFixed(1)} s (${rate(records, an.seconds)}), peak RSS ${an.peakRssMb.toFixed(0)} MB, ${out.findings} findings`);
    console.log(`analysis steps (ms): ${JSON.stringify(out.timings)}`);
  } finally {
    if (!process.env.BENCH_KEEP) data.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
