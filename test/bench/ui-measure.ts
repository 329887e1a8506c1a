/**
 * Worker of `npm run bench:ui`, run in its own process so its peak RSS is the engine's alone:
 *   ui-measure.ts <case.tscope> <iterations> [budget seconds per operation, default 180]
 * Drives the handlers exactly as the workbench does (dispatch through a Workspace) and prints one
 * JSON line: per operation the latency of every call in ms (warm-up calls excluded).
 */
import { execFileSync } from 'node:child_process';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { contextFor, dispatch } from '../../src-main/ipc/index.ts';
import type { FlowFilter, TimelineResult } from '../../src-main/shared/domain.ts';

const WARMUP = 3;
/**
 * case.open rounds: each open starts copying the file into a working folder, which the next close
 * stops, so a round writes little. 40, so that p95 is not simply the slowest call (as with 15).
 */
const OPEN_ROUNDS = 40;
/** Rounds that wait for the whole working copy (1 GB written each at 10 M records). */
const WRITABLE_ROUNDS = 5;
/** The conversation table's page (src-renderer/features/conversations PAGE_SIZE). */
const PAGE = 200;
/** Timed rounds an operation gets even when it is over its time budget. */
const MIN_ROUNDS = 10;

const quiet = () => undefined;

/** Deterministic 0..1 sequence (mulberry32), so two runs ask the same questions. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

async function main(): Promise<void> {
  const [casePath, itArg, budgetArg] = process.argv.slice(2);
  const iterations = Number(itArg ?? 60);
  const budgetS = Number(budgetArg ?? 180);
  const ws = new Workspace({ mode: 'browser', version: 'bench', log: quiet, progressIntervalMs: 0 });
  const ctx = contextFor(ws);
  const call = async <T,>(channel: string, args: unknown = {}): Promise<T> => {
    const r = await dispatch(channel, args, ctx, (m) => process.stderr.write(`${m}\n`));
    if (!r.ok) throw new Error(`${channel} ${JSON.stringify(args)}: ${r.error.code}: ${r.error.message}`);
    return r.value as T;
  };
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const ms: Record<string, number[]> = {};
  const add = (op: string, v: number) => (ms[op] ??= []).push(v);
  /**
   * WARMUP untimed calls, then `n` timed ones; `step(i)` returns the named timings of round i.
   * When calls take seconds, stop after `budgetS` once MIN_ROUNDS are in (n is reported), and
   * report each operation on stderr as it finishes, so a slow case still yields figures.
   */
  const measure = async (n: number, step: (i: number) => Promise<Record<string, number>>) => {
    const t0 = performance.now();
    for (let i = 0; i < WARMUP; i++) await step(-1 - i);
    const names = new Set<string>();
    for (let i = 0; i < n; i++) {
      for (const [op, v] of Object.entries(await step(i))) {
        add(op, v);
        names.add(op);
      }
      if (i + 1 >= MIN_ROUNDS && performance.now() - t0 > budgetS * 1000) break;
    }
    for (const op of names) {
      const s = [...ms[op]!].sort((a, b) => a - b);
      process.stderr.write(`  [${casePath.split('/').pop()}] ${op}: n ${s.length}, p50 ${s[Math.ceil(s.length / 2) - 1]!.toFixed(1)}, p95 ${s[Math.ceil(0.95 * s.length) - 1]!.toFixed(1)}, max ${s[s.length - 1]!.toFixed(1)} ms\n`);
    }
  };

  // Opening the case: case.open alone (the handler the UI awaits), then what the first screen asks.
  await measure(Math.min(iterations, OPEN_ROUNDS), async () => {
    await call('case.close');
    const open = await timed(() => call('case.open', { path: casePath }));
    const first = await timed(() =>
      Promise.all([
        call('timeline.query', { maxBuckets: 1200 }),
        call('findings.list'),
        call('conversations.query', { offset: 0, limit: PAGE }),
      ]),
    );
    return { 'case.open': open, 'open: first view (timeline+findings+conversations)': first };
  });
  // Until the working copy is in place writes wait (CaseSession.writable): how long after the open that is.
  const writable: number[] = [];
  for (let i = 0; i < WRITABLE_ROUNDS; i++) {
    await call('case.close');
    const t0 = performance.now();
    await call('case.open', { path: casePath });
    await ctx.ws.requireSession().writable();
    writable.push(performance.now() - t0);
  }
  ms['open → writable (working copy in place)'] = writable;
  // The interactive calls below are measured in the steady state a user reaches a few seconds after
  // an open: working copy in place, columns warmed, and the copies these rounds wrote (1 GB each
  // at 10 M records) flushed to disk, not written back by the kernel in the middle of the measurement.
  await ctx.ws.backgroundSettled();
  execFileSync('sync');

  const whole = await call<TimelineResult>('timeline.query', { maxBuckets: 1200 });
  const span = { from: whole.from, to: whole.to };
  const len = span.to - span.from;

  // A brush: a narrower from/to, 1 % to 50 % of the data span, anywhere on it.
  const rb = rng(1);
  await measure(iterations, async () => {
    const w = len * (0.01 + 0.49 * rb());
    const a = span.from + (len - w) * rb();
    return { 'brush: timeline.query': await timed(() => call('timeline.query', { from: iso(a), to: iso(a + w), maxBuckets: 1200 })) };
  });

  // A replay step: the playhead advances one bucket; the UI fetches the snapshot and re-queries the
  // conversation table for the replay window (the bucket up to the playhead).
  const stepMs = 60_000;
  const replayStart = span.from + len * 0.1;
  let k = 0;
  await measure(iterations, async () => {
    const at = replayStart + k++ * stepMs;
    const snap = await timed(() => call('timeline.snapshot', { at: iso(at), windowSeconds: stepMs / 1000 }));
    const conv = await timed(() => call('conversations.query', { filter: { from: iso(at - stepMs), to: iso(at) }, offset: 0, limit: PAGE }));
    return { 'replay step: timeline.snapshot': snap, 'replay step: conversations.query (window)': conv, 'replay step: both': snap + conv };
  });

  // Switching a filter (and the sort): first page of the conversation table, and the timeline redrawn with it.
  const filters: FlowFilter[] = [
    { port: 443 },
    { action: 'REJECT' },
    { state: 'half-open' },
    { cidr: '172.16.20.0/24' },
    { port: 5432, protocol: 6 },
    { state: 'completed' },
    { cidr: '10.10.1.50/32', action: 'ACCEPT' },
    { protocol: 17 },
    { state: 'syn-no-synack', port: 22 },
    {},
  ];
  const sorts = [
    { column: 'firstSeen', dir: 'asc' },
    { column: 'bytesFwd', dir: 'desc' },
    { column: 'lastSeen', dir: 'desc' },
    { column: 'server', dir: 'asc' },
    { column: 'packetsRev', dir: 'desc' },
    { column: 'state', dir: 'asc' },
    { column: 'client', dir: 'asc' },
  ];
  let j = 0;
  await measure(iterations, async () => {
    const filter = filters[j % filters.length]!;
    const sort = sorts[j % sorts.length]!;
    j++;
    return {
      'filter switch: conversations.query': await timed(() => call('conversations.query', { filter, sort, offset: 0, limit: PAGE })),
      'filter switch: timeline.query (filtered)': await timed(() => call('timeline.query', { maxBuckets: 1200, filter })),
    };
  });

  const summary = await call<{ counts: Record<string, number> }>('case.current');
  await ws.shutdown();
  console.log(JSON.stringify({ ms, counts: summary.counts, spanHours: len / 3_600_000, maxRssKb: process.resourceUsage().maxRSS }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
