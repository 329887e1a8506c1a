/**
 * `npm run demo:build`: regenerates the bundled demo incident (resources/demo/export + truth.json)
 * and builds resources/demo.tscope from it with the real ingest and analysis. Deterministic (fixed
 * seed), so re-running produces the same export files; the .tscope is rebuilt in a temp file and
 * moved into place, so an interrupted build never leaves a half-written case behind.
 */
import { rmSync, renameSync, mkdirSync, existsSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateScenario, scoreFindings, type Truth } from './generator/index.ts';
import { Db } from '../../src-main/engine/db/index.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const demoDir = join(root, 'resources', 'demo');
const exportDir = join(demoDir, 'export');
const casePath = join(root, 'resources', 'demo.tscope');

export const DEMO = {
  start: '2026-11-20T13:00:00Z',
  hours: 3,
  seed: 20261120,
  scale: 0.4,
  scenarios: [
    { kind: 'ecmp-asymmetric', at: 20, minutes: 60 },
    { kind: 'sg-reject', at: 95, minutes: 20 },
    { kind: 'tunnel-outage', at: 132, periods: 3 },
  ],
} as const;

function dirBytes(d: string): number {
  let n = 0;
  for (const e of readdirSync(d, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(d, e.name)) : statSync(join(d, e.name)).size;
  return n;
}

export async function buildDemo(opts: { withCase?: boolean; caseOnly?: boolean } = {}): Promise<void> {
  const t0 = performance.now();
  // --case-only: build the .tscope from the committed exports (npm run build, npm test) without
  // regenerating them; the exports are regenerated only when missing.
  if (opts.caseOnly && existsSync(join(demoDir, 'truth.json')) && existsSync(exportDir)) return buildCase(t0, JSON.parse(readFileSync(join(demoDir, 'truth.json'), 'utf8')) as Truth);
  rmSync(exportDir, { recursive: true, force: true });
  mkdirSync(demoDir, { recursive: true });
  const res = await generateScenario(
    { scenarios: DEMO.scenarios.map((s) => ({ ...s })), start: DEMO.start, hours: DEMO.hours, seed: DEMO.seed, scale: DEMO.scale, truthPath: join(demoDir, 'truth.json') },
    exportDir,
  );
  const bytes = dirBytes(demoDir);
  console.log(`demo export: ${res.files.length} files, ${(bytes / 1e6).toFixed(2)} MB, records ${JSON.stringify(res.counts)}`);
  if (bytes > 2_000_000) throw new Error(`demo export is ${bytes} bytes, over the 2 MB budget`);
  if (opts.withCase === false) return;
  await buildCase(t0, res.truth);
}

async function buildCase(t0: number, truth: Truth): Promise<void> {

  const tmp = `${casePath}.building`;
  for (const p of [tmp, `${tmp}.wal`]) if (existsSync(p)) rmSync(p);
  const db = await Db.open(tmp);
  try {
    const { ingestPaths } = await import('../../src-main/engine/ingest/service.ts');
    // CloudWatch Logs flow records carry no header: ingest takes their layout from the flow log's
    // LogFormat in config/describe-flow-logs.json, with no --format.
    const summary = await ingestPaths(db, [exportDir]);
    console.log(`ingest: ${summary.records} records, ${summary.quarantined} quarantined, ${summary.files.length} files`);
    try {
      const { runAnalysis } = await import('../../src-main/engine/analysis/run.ts');
      const a = await runAnalysis(db);
      console.log(`analysis: ${a.findings.length} findings in ${a.elapsedMs} ms (${[...new Set(a.findings.map((f) => f.kind))].join(', ')})`);
      const score = scoreFindings(truth.expected, a.findings);
      console.log(`against truth.json: ${score.matched.length} matched, ${score.missed.length} required missed, ${score.falsePositives.length} warning/critical false positives`);
      for (const m of score.missed) console.log(`  missed: ${m.kind} ${JSON.stringify(m.subject)} ${m.start}–${m.end}`);
      for (const f of score.falsePositives) console.log(`  false positive: ${f.kind} ${f.severity} ${JSON.stringify(f.subject)} ${f.start}–${f.end}`);
    } catch (e) {
      console.warn(`analysis skipped: ${(e as Error).message}`);
    }
  } finally {
    await db.close();
  }
  for (const p of [casePath, `${casePath}.wal`]) if (existsSync(p)) rmSync(p);
  renameSync(tmp, casePath);
  console.log(`wrote ${casePath} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDemo({ withCase: !process.argv.includes('--export-only'), caseOnly: process.argv.includes('--case-only') }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
