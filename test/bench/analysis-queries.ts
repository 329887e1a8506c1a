/**
 * Analysis engineer's bench on a cached 2 M-record case (bench-data/, gitignored):
 *   analysis-queries.ts prep        generate + ingest once into bench-data/an-2m.ingested.tscope
 *   analysis-queries.ts analyze     copy it, runAnalysis, print seconds, step timings, peak RSS
 *   analysis-queries.ts query [n]   p50/p95 of timeline/conversation queries on the analysed copy
 * Run `analyze` in its own process (it reports its own maxRSS).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src-main/engine/db/index.ts';
import type { FlowFilter, TimelineResult } from '../../src-main/shared/domain.ts';
import { writeBulkFlowExport } from '../helpers/generator/index.ts';

const DIR = join(process.cwd(), 'bench-data');
const RECORDS = Number(process.env.AN_RECORDS ?? 2_000_000);
const tag = `${RECORDS / 1e6}m`;
const INGESTED = join(DIR, `an-${tag}.ingested.tscope`);
const ANALYSED = join(DIR, `an-${tag}.tscope`);

async function prep(): Promise<void> {
  if (existsSync(INGESTED)) return console.log(`${INGESTED} exists`);
  mkdirSync(DIR, { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'an-bench-'));
  try {
    await writeBulkFlowExport(join(tmp, 'export'), { vpcRecords: RECORDS * 0.7, tgwRecords: RECORDS * 0.3, seed: 42 });
    const { ingestPaths } = await import('../../src-main/engine/ingest/service.ts');
    const db = await Db.open(INGESTED + '.tmp');
    const t0 = performance.now();
    const s = await ingestPaths(db, [join(tmp, 'export')]);
    const ingestS = (performance.now() - t0) / 1000;
    await db.run('CHECKPOINT');
    await db.close();
    copyFileSync(INGESTED + '.tmp', INGESTED);
    rmSync(INGESTED + '.tmp');
    writeFileSync(INGESTED + '.json', JSON.stringify({ records: s.records, ingestS }));
    console.log(JSON.stringify({ records: s.records, ingestS }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function analyze(): Promise<void> {
  copyFileSync(INGESTED, ANALYSED);
  rmSync(ANALYSED + '.wal', { force: true });
  const { runAnalysis } = await import('../../src-main/engine/analysis/run.ts');
  const db = await Db.open(ANALYSED);
  // The cached ingested file predates columns added to 002-analysis while it is unreleased.
  for (const col of ['client_v4', 'server_v4']) await db.run(`ALTER TABLE conversations ADD COLUMN IF NOT EXISTS ${col} UINTEGER`);
  const t0 = performance.now();
  const r = await runAnalysis(db, { onPhase: (p) => process.stderr.write(`phase ${p} ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`) });
  const s = (performance.now() - t0) / 1000;
  await db.close();
  console.log(JSON.stringify({ seconds: +s.toFixed(1), findings: r.findings.length, timings: r.timings, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function query(n: number): Promise<void> {
  const { queryTimeline, snapshotAt, queryConversations } = await import('../../src-main/engine/analysis/index.ts');
  const db = await Db.open(ANALYSED);
  const ms: Record<string, number[]> = {};
  const time = async (op: string, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    (ms[op] ??= []).push(performance.now() - t0);
  };
  const whole: TimelineResult = await queryTimeline(db, { maxBuckets: 1200 });
  const len = whole.to - whole.from;
  const iso = (x: number) => new Date(x).toISOString();
  const filters: [string, FlowFilter][] = [
    ['port', { port: 443 }],
    ['action', { action: 'REJECT' }],
    ['state', { state: 'half-open' }],
    ['cidr/24', { cidr: '172.16.20.0/24' }],
    ['port+proto', { port: 5432, protocol: 6 }],
    ['cidr/32+action', { cidr: '10.10.1.50/32', action: 'ACCEPT' }],
    ['path', { path: 'tgw-attach-0b2c3d4e5f6a7b8c9' }],
    ['capturePoint', { capturePoint: 'eni-0a1b2c3d4e5f60001' }],
    ['none', {}],
  ];
  const sorts = [
    { column: 'firstSeen', dir: 'asc' },
    { column: 'bytesFwd', dir: 'desc' },
    { column: 'server', dir: 'asc' },
    { column: 'lastSeen', dir: 'desc' },
    { column: 'state', dir: 'asc' },
    { column: 'client', dir: 'asc' },
    { column: 'packetsRev', dir: 'desc' },
  ] as const;
  for (let i = -2; i < n; i++) {
    const w = len * (0.01 + 0.49 * ((i * 0.37 + 5) % 1));
    const a = whole.from + (len - w) * ((i * 0.61 + 3) % 1);
    await time('brush timeline', () => queryTimeline(db, { from: iso(a), to: iso(a + w), maxBuckets: 1200 }));
    const at = whole.from + len * 0.1 + (i + 2) * 60_000;
    await time('replay snapshot', () => snapshotAt(db, iso(at), 60));
    await time('replay conv window', () => queryConversations(db, { filter: { from: iso(at - 60_000), to: iso(at) }, offset: 0, limit: 200 }));
    for (const sort of sorts) {
      await time(`conv port, sort ${sort.column}`, () => queryConversations(db, { filter: { port: 443 }, sort: { column: sort.column, dir: sort.dir }, offset: 0, limit: 200 }));
    }
    for (const [name, f] of filters) {
      await time(`conv ${name}`, () => queryConversations(db, { filter: f, offset: 0, limit: 200 }));
      await time(`timeline ${name}`, () => queryTimeline(db, { maxBuckets: 1200, filter: f }));
    }
    await time('conv window+port', () => queryConversations(db, { filter: { from: iso(a), to: iso(a + w), port: 443 }, offset: 0, limit: 200 }));
    if (i === -1) for (const k of Object.keys(ms)) ms[k] = [];
  }
  await db.close();
  for (const [op, xs] of Object.entries(ms)) console.log(`${op.padEnd(30)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p95 ${pct(xs, 95).toFixed(0).padStart(5)} ms`);
}

const [mode, arg] = process.argv.slice(2);
(mode === 'prep' ? prep() : mode === 'analyze' ? analyze() : query(Number(arg ?? 20))).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
