/**
 * The shell's own handlers (app.info, case.current/open/openDemo/new/close, ingest.start/cancel,
 * quarantine.list) with the real engine and DuckDB, through dispatch() as both front doors call them.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { contextFor, dispatch } from '../../src-main/ipc/index.ts';
import { FORMAT_VERSION } from '../../src-main/engine/db/schema/index.ts';
import type { EventName, Events } from '../../src-main/shared/contract.ts';
import type { CaseSummary, IngestSummary } from '../../src-main/shared/domain.ts';
import type { Result } from '../../src-main/shared/result.ts';
import { writeFlowLog } from '../e2e/helpers/flows.ts';

const FIX = join(__dirname, '../fixtures/shell');
const quiet = () => undefined;
let dir: string;
let demo: string;
let big: string;
let small: string;

type Seen = { event: EventName; payload: unknown }[];

function setup(opts: { demoPath?: string } = {}) {
  const ws = new Workspace({ mode: 'browser', version: '9.9.9', log: quiet, progressIntervalMs: 0, ...opts });
  const seen: Seen = [];
  ws.onEvent((event, payload) => seen.push({ event, payload }));
  const ctx = contextFor(ws);
  const call = async <T,>(channel: string, args: unknown = {}): Promise<Result<T>> => (await dispatch(channel, args, ctx, quiet)) as Result<T>;
  const value = async <T,>(channel: string, args: unknown = {}): Promise<T> => {
    const r = await call<T>(channel, args);
    if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const next = <E extends EventName>(event: E, match: (p: Events[E]) => boolean = () => true): Promise<Events[E]> =>
    new Promise((resolve) => {
      const off = ws.onEvent((e, p) => {
        if ((e as string) === event && match(p as Events[E])) {
          off();
          resolve(p as Events[E]);
        }
      });
    });
  return { ws, seen, call, value, next };
}

const live: Workspace[] = [];
afterEach(async () => {
  for (const ws of live.splice(0)) await ws.shutdown();
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tscope-handlers-'));
  big = join(dir, 'big-flows.log');
  await writeFlowLog(big, 300_000);
  small = join(dir, 'small-flows.log');
  await writeFlowLog(small, 10, 1_710_000_000);
  // A saved case to serve as "the demo" and to reopen.
  const { ws, value } = setup();
  demo = join(dir, 'demo.tscope');
  await value('case.new', { path: demo });
  await value('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log'), join(FIX, 'mixed-bad-lines.log')] });
  await ws.idle();
  await ws.requireSession().save();
  await ws.shutdown();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('app.info and case.current', () => {
  it('describe the build and say no case is open', async () => {
    const t = setup({ demoPath: join(dir, 'missing.tscope') });
    live.push(t.ws);
    expect(await t.value('app.info')).toEqual({ version: '9.9.9', formatVersion: FORMAT_VERSION, mode: 'browser', demoAvailable: false });
    expect(await t.value('case.current')).toBeNull();
    const d = setup({ demoPath: demo });
    live.push(d.ws);
    expect(await d.value('app.info')).toMatchObject({ demoAvailable: true });
  });
});

describe('app.pickPath', () => {
  it('uses the front door\'s native dialogs, and says to type the path where there are none', async () => {
    const t = setup();
    live.push(t.ws);
    const r = await t.call('app.pickPath', { kind: 'import-files' });
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    if (!r.ok) expect(r.error.message).toMatch(/desktop app/);
    const asked: unknown[] = [];
    const ctx = { ...contextFor(t.ws), pickPath: async (kind: string, name?: string) => (asked.push([kind, name]), ['/picked/a.log', '/picked/b.log']) };
    expect(await dispatch('app.pickPath', { kind: 'import-files' }, ctx, quiet)).toEqual({ ok: true, value: { paths: ['/picked/a.log', '/picked/b.log'] } });
    expect(await dispatch('app.pickPath', { kind: 'save-report', defaultName: 'incident.md' }, ctx, quiet)).toMatchObject({ ok: true });
    expect(asked).toEqual([['import-files', undefined], ['save-report', 'incident.md']]);
  });
});

describe('case lifecycle', () => {
  it('new → ingest → close → open shows the same investigation, with case.changed each time', async () => {
    const t = setup();
    live.push(t.ws);
    const path = join(dir, 'lifecycle.tscope');
    const created = await t.value<CaseSummary>('case.new', { path });
    expect(created.path).toBe(path);
    expect(created.sources).toEqual([]);
    expect(t.seen.filter((s) => s.event === 'case.changed')).toHaveLength(1);

    const done = t.next('ingest.done');
    const { jobId } = await t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log')] });
    const summary = await done;
    expect(summary.jobId).toBe(jobId);
    expect(summary.cancelled).toBe(false);
    expect(summary.records).toBe(2);
    await t.ws.idle();
    const current = await t.value<CaseSummary>('case.current');
    expect(current.counts.vpc_flows).toBe(2);
    expect(current.sources).toHaveLength(1);
    expect(t.seen.map((s) => s.event)).toContain('ingest.progress');
    // The job analyses what it imported before it finishes.
    const order = t.seen.map((s) => s.event).filter((e) => e !== 'ingest.progress');
    expect(order.indexOf('analysis.done')).toBeGreaterThan(order.indexOf('ingest.done'));
    expect(order.at(-1)).toBe('case.changed');
    expect(current.analyzedAt).not.toBeNull();
    const changed = t.seen.filter((s) => s.event === 'case.changed').at(-1)!.payload as CaseSummary;
    expect(changed.counts.vpc_flows).toBe(2);

    await t.ws.requireSession().save();
    expect(await t.value('case.close')).toBeNull();
    expect(t.seen.at(-1)).toEqual({ event: 'case.changed', payload: null });
    expect(await t.value('case.current')).toBeNull();
    expect(await t.call('quarantine.list')).toMatchObject({ ok: false, error: { code: 'no-case' } });

    const reopened = await t.value<CaseSummary>('case.open', { path });
    expect(reopened.counts.vpc_flows).toBe(2);
    expect(reopened.path).toBe(path);
  });

  it('refuses missing and damaged files with a sentence, keeping the open case', async () => {
    const t = setup();
    live.push(t.ws);
    await t.value('case.new', { path: join(dir, 'keep.tscope') });
    const missing = await t.call('case.open', { path: join(dir, 'nope.tscope') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const junk = join(dir, 'junk.tscope');
    writeFileSync(junk, 'this is not a database, just text\n'.repeat(200));
    const bad = await t.call('case.open', { path: junk });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(['case-corrupt', 'io']).toContain(bad.error.code);
    expect((await t.value<CaseSummary>('case.current')).path).toBe(join(dir, 'keep.tscope'));
  });

  it('case.openDemo opens the bundled demo without writing to it, and refuses imports into it', async () => {
    const copy = join(dir, 'demo-copy.tscope');
    copyFileSync(demo, copy);
    const t = setup({ demoPath: copy });
    live.push(t.ws);
    const s = await t.value<CaseSummary>('case.openDemo');
    expect(s.readOnly).toBe(true);
    expect(s.counts.vpc_flows).toBeGreaterThan(0);
    const r = await t.call('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log')] });
    expect(r).toMatchObject({ ok: false, error: { code: 'read-only' } });

    // Save As makes it the user's own, writable copy; the demo file itself is untouched.
    const before = readFileSync(copy);
    const mine = join(dir, 'my-demo.tscope');
    const writable = t.next('case.changed', (c) => c?.path === mine && !c.readOnly);
    expect(await t.value('case.save', { path: mine })).toEqual({ path: mine });
    expect((await writable)!.counts.vpc_flows).toBe(s.counts.vpc_flows);
    const done = t.next('ingest.done');
    await t.value('ingest.start', { paths: [small] });
    expect((await done).records).toBe(10);
    await t.ws.idle();
    expect(readFileSync(copy).equals(before)).toBe(true);

    const none = setup({ demoPath: join(dir, 'not-built.tscope') });
    live.push(none.ws);
    const missing = await none.call('case.openDemo');
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    if (!missing.ok) expect(missing.error.message).toContain('demo:build');
  });

  it('case.new without a path starts an untitled investigation', async () => {
    const t = setup();
    live.push(t.ws);
    const s = await t.value<CaseSummary>('case.new');
    // No file until the first Save As: the summary says so with an empty path.
    expect(s.path).toBe('');
    expect(s.name).toBe('Untitled investigation');
    expect(s.dirty).toBe(false);
    expect(s.readOnly).toBe(false);
    expect(s.counts.vpc_flows).toBe(0);
  });
});

describe('ingest jobs', () => {
  it('imports into a new untitled case when none is open, quarantines bad lines, lists them', async () => {
    const t = setup();
    live.push(t.ws);
    const done = t.next('ingest.done');
    await t.value('ingest.start', { paths: [join(FIX, 'mixed-bad-lines.log')] });
    const summary = await done;
    expect(summary.records).toBe(2);
    expect(summary.quarantined).toBe(2);
    await t.ws.idle();
    const q = await t.value<{ total: number; rows: { sourceId: number; file: string; reason: string; line: number | null }[] }>('quarantine.list');
    expect(q.total).toBe(summary.quarantined);
    expect(q.rows[0]!.reason).toBeTruthy();
    expect(q.rows.every((r) => r.file.endsWith('mixed-bad-lines.log'))).toBe(true);
    expect(q.rows.map((r) => r.line)).toEqual([3, 4]);
    const bySource = await t.value<{ total: number }>('quarantine.list', { sourceId: q.rows[0]!.sourceId });
    expect(bySource.total).toBe(q.total);
    const elsewhere = await t.value<{ total: number; rows: unknown[] }>('quarantine.list', { sourceId: 999_999 });
    expect(elsewhere).toEqual({ total: 0, rows: [] });
    const page = await t.value<{ total: number; rows: unknown[] }>('quarantine.list', { offset: q.total, limit: 5 });
    expect(page.rows).toEqual([]);
  });

  it('puts two imports started at once on an empty workspace into one new case', async () => {
    const t = setup();
    live.push(t.ws);
    const [a, b] = await Promise.all([
      t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log')] }),
      t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, 'mixed-bad-lines.log')] }),
    ]);
    expect(a.jobId).not.toBe(b.jobId);
    await t.ws.idle();
    const s = await t.value<CaseSummary>('case.current');
    expect(s.sources).toHaveLength(2);
    expect(s.counts.vpc_flows).toBe(4);
    expect(t.seen.filter((e) => e.event === 'ingest.done').every((e) => !(e.payload as IngestSummary).cancelled)).toBe(true);
  });

  it('reports missing paths before queueing anything', async () => {
    const t = setup();
    live.push(t.ws);
    const r = await t.call('ingest.start', { paths: [join(dir, 'no-such.log')] });
    expect(r).toMatchObject({ ok: false, error: { code: 'not-found' } });
    if (!r.ok) expect(r.error.message).toContain('no-such.log');
  });

  it('runs jobs one after another in the order they were started', async () => {
    const t = setup();
    live.push(t.ws);
    await t.value('case.new', { path: join(dir, 'queue.tscope') });
    const a = await t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log')] });
    const b = await t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, 'mixed-bad-lines.log')] });
    await t.ws.idle();
    const done = t.seen.filter((s) => s.event === 'ingest.done').map((s) => (s.payload as IngestSummary).jobId);
    expect(done).toEqual([a.jobId, b.jobId]);
    const firstOfB = t.seen.findIndex((s) => s.event === 'ingest.progress' && (s.payload as { jobId: string }).jobId === b.jobId);
    const doneOfA = t.seen.findIndex((s) => s.event === 'ingest.done');
    if (firstOfB >= 0) expect(firstOfB).toBeGreaterThan(doneOfA);
  });

  it('cancels a running import: ingest.done says cancelled and the case stays usable', async () => {
    const t = setup();
    live.push(t.ws);
    await t.value('case.new', { path: join(dir, 'cancel.tscope') });
    const firstProgress = t.next('ingest.progress');
    const done = t.next('ingest.done');
    const { jobId } = await t.value<{ jobId: string }>('ingest.start', { paths: [big] });
    await firstProgress;
    expect(await t.value('ingest.cancel', { jobId })).toEqual({ cancelled: true });
    const summary = await done;
    expect(summary.cancelled).toBe(true);
    expect(await t.value('ingest.cancel', { jobId })).toEqual({ cancelled: false });
    expect(await t.value('ingest.cancel', { jobId: 'never-existed' })).toEqual({ cancelled: false });
    const after = await t.value<CaseSummary>('case.current');
    expect(after.counts.vpc_flows).toBe(0);
  });

  it('cancels a queued job before it starts', async () => {
    const t = setup();
    live.push(t.ws);
    await t.value('case.new', { path: join(dir, 'cancel-queued.tscope') });
    const first = await t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, '01-accepted-rejected.default-v2.log')] });
    const second = await t.value<{ jobId: string }>('ingest.start', { paths: [join(FIX, 'mixed-bad-lines.log')] });
    expect(await t.value('ingest.cancel', { jobId: second.jobId })).toEqual({ cancelled: true });
    await t.ws.idle();
    const dones = t.seen.filter((s) => s.event === 'ingest.done').map((s) => s.payload as IngestSummary);
    expect(dones.find((d) => d.jobId === first.jobId)?.cancelled).toBe(false);
    expect(dones.find((d) => d.jobId === second.jobId)).toMatchObject({ cancelled: true });
  });

  it('shutdown during an import stops it and closes the case cleanly', async () => {
    const t = setup();
    const path = join(dir, 'shutdown.tscope');
    await t.value('case.new', { path });
    const firstProgress = t.next('ingest.progress');
    await t.value('ingest.start', { paths: [big] });
    await firstProgress;
    await t.ws.shutdown();
    expect(t.ws.current).toBeNull();
    // The file is still a valid case that opens again.
    const again = setup();
    live.push(again.ws);
    const s = await again.value<CaseSummary>('case.open', { path });
    expect(s.path).toBe(path);
  });
});
