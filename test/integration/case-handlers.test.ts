/**
 * The case-state channels through dispatch() (argument validation included), as Electron IPC and the
 * HTTP bridge call them, on a real Workspace and DuckDB; and the note/redact/report CLI commands.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src-main/cli/main.ts';
import { caseFileInfo } from '../../src-main/engine/case/session.ts';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { contextFor, dispatch } from '../../src-main/ipc/index.ts';
import type { Annotation, Finding, SavedQuery, SqlResult, ViewState } from '../../src-main/shared/domain.ts';
import type { Result } from '../../src-main/shared/result.ts';

const dir = mkdtempSync(join(tmpdir(), 'tscope-case-handlers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => undefined;

function setup() {
  const ws = new Workspace({ mode: 'browser', version: '0.0.0', log: quiet });
  const ctx = contextFor(ws);
  const call = async <T,>(channel: string, args: unknown = {}): Promise<Result<T>> => (await dispatch(channel, args, ctx, quiet)) as Result<T>;
  const value = async <T,>(channel: string, args: unknown = {}): Promise<T> => {
    const r = await call<T>(channel, args);
    if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  return { ws, call, value };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('case handlers', () => {
  it('notes, bookmarks, view, reviews, saved queries and save over the contract', async () => {
    const { ws, call, value } = setup();
    try {
      expect((await call('notes.list')).ok).toBe(false); // no case open
      const file = join(dir, 'h.tscope');
      await value('case.new', { path: file });
      const n = await value<Annotation>('notes.add', { at: '2026-11-20T13:05:00Z', target: { type: 'tunnel', vpnId: 'vpn-1', tunnelIp: '203.0.113.10' }, text: 'down', tags: ['bgp'] });
      expect(n).toMatchObject({ kind: 'note', tags: ['bgp'], target: { type: 'tunnel' } });
      await value('notes.add', { kind: 'bookmark', at: '2026-11-20T13:00:00Z', target: { type: 'range', from: '2026-11-20T13:00:00Z', to: '2026-11-20T13:01:00Z' }, text: '' });
      const bad = await call('notes.add', { at: 'yesterday', target: { type: 'finding', findingId: 'x' }, text: 'x' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
      const notes = await value<Annotation[]>('notes.list');
      expect(notes.map((x) => x.kind)).toEqual(['bookmark', 'note']);
      await value('notes.remove', { id: n.id });
      expect(await value<Annotation[]>('notes.list')).toHaveLength(1);

      expect(await value('view.get')).toBeNull();
      const view: ViewState = { from: null, to: null, filter: { port: 443 }, replayAt: null, replaySpeed: 1, selectedFindingId: null, timeZone: 'utc' };
      await value('view.save', view);
      expect(await value('view.get')).toEqual(view);
      expect(await call('view.save', { ...view, extra: 1 })).toMatchObject({ ok: false, error: { code: 'bad-argument' } });

      expect(await call('findings.review', { findingId: 'nope', status: 'confirmed' })).toMatchObject({ ok: false, error: { code: 'not-found' } });
      await (await ws.requireSession().writable()).run(
        `INSERT INTO findings (finding_id, kind, severity, title, summary, start_ts, end_ts, subject, stats, evidence_sql, evidence_rows)
         VALUES ('log-gap-0123456789ab', 'log-gap', 'info', 'gap', 'a gap', '2026-11-20T13:00:00Z', '2026-11-20T13:10:00Z', '{}', '{}', '', '[]')`,
      );
      const f = await value<Finding>('findings.review', { findingId: 'log-gap-0123456789ab', status: 'dismissed', note: 'maintenance' });
      expect(f.review).toEqual({ status: 'dismissed', note: 'maintenance' });

      const saved = await value<SavedQuery>('sql.saveQuery', { name: 'mine', sql: 'SELECT 42 AS answer' });
      const lib = await value<SavedQuery[]>('sql.library');
      expect(lib.filter((q) => q.builtIn).length).toBeGreaterThanOrEqual(6);
      expect(lib.find((q) => q.id === saved.id)).toMatchObject({ name: 'mine', builtIn: false });
      // Every built-in query runs on the case schema.
      for (const q of lib.filter((x) => x.builtIn)) {
        const r = await call<SqlResult>('sql.run', { sql: q.sql });
        expect(r.ok, `${q.name}: ${JSON.stringify(r)}`).toBe(true);
      }
      expect(await value<SqlResult>('sql.run', { sql: saved.sql })).toMatchObject({ rows: [[42]], truncated: false });
      expect(await call('sql.run', { sql: "COPY meta TO '/tmp/x.csv'" })).toMatchObject({ ok: false, error: { code: 'read-only' } });
      expect(await value('sql.cancel')).toEqual({ cancelled: false });
      await value('sql.removeQuery', { id: saved.id });
      expect(await call('sql.removeQuery', { id: 'builtin:quarantine' })).toMatchObject({ ok: false, error: { code: 'bad-argument' } });

      expect(await value('case.save', {})).toEqual({ path: file });
      const info = await caseFileInfo(file);
      expect(info.tables).toMatchObject({ annotations: 1, view_state: 1, finding_reviews: 1, saved_queries: 0 });

      const report = await value<{ path: string }>('report.export', { out: join(dir, 'h.md'), format: 'md' });
      expect(readFileSync(report.path, 'utf8')).toContain('## Findings (1)');
      const shared = await value<{ path: string }>('case.redact', { out: join(dir, 'h-shared.tscope'), keepRecords: false });
      expect(existsSync(shared.path)).toBe(true);
    } finally {
      await ws.shutdown();
    }
  });
});

describe('CLI: note, report, redact', () => {
  it('adds and lists notes, writes a report and a redacted copy', async () => {
    const file = join(dir, 'cli.tscope');
    const { ws, value } = setup();
    await value('case.new', { path: file });
    await ws.shutdown();

    let r = await cli('note', 'add', file, '--at', '2026-11-20 15:12', '--text', 'BGP down on tunnel 1', '--tag', 'bgp', '--tag', 't1', '--tunnel', 'vpn-0c2d4e6f8a0b1c3d5/34.206.11.22');
    expect(r).toMatchObject({ code: 0, err: '' });
    r = await cli('note', 'add', file, '--at', '2026-11-20T13:20:00Z', '--range-end', '2026-11-20T14:20:00Z', '--text', 'ECMP window', '--bookmark');
    expect(r.code).toBe(0);
    r = await cli('note', 'add', file, '--at', '2026-11-20T13:00:00Z', '--text', 'x', '--finding', 'a', '--tunnel', 'v/1.2.3.4');
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining('one thing') });
    r = await cli('note', 'add', file, '--at', 'soon', '--text', 'x');
    expect(r).toMatchObject({ code: 2, err: expect.stringContaining('not a time') });

    r = await cli('note', 'list', file, '--json');
    const notes = JSON.parse(r.out) as Annotation[];
    expect(notes.map((n) => [n.kind, n.at, n.text])).toEqual([
      ['bookmark', '2026-11-20T13:20:00.000Z', 'ECMP window'],
      ['note', '2026-11-20T15:12:00.000Z', 'BGP down on tunnel 1'],
    ]);
    expect(notes[1]!.target).toEqual({ type: 'tunnel', vpnId: 'vpn-0c2d4e6f8a0b1c3d5', tunnelIp: '34.206.11.22' });
    r = await cli('note', 'list', file);
    expect(r.out).toContain('[bgp, t1]');

    r = await cli('report', file, '--out', join(dir, 'cli-report.html'));
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'cli-report.html'), 'utf8')).toContain('BGP down on tunnel 1');

    r = await cli('redact', file, '--out', join(dir, 'cli-shared.tscope'), '--drop-notes');
    expect(r).toMatchObject({ code: 0, err: '' });
    r = await cli('note', 'list', join(dir, 'cli-shared.tscope'), '--json');
    expect(JSON.parse(r.out)).toEqual([]);
    r = await cli('redact', file, '--out', join(dir, 'cli-shared2.tscope'));
    r = await cli('note', 'list', join(dir, 'cli-shared2.tscope'), '--json');
    const red = JSON.parse(r.out) as Annotation[];
    expect(red[1]!.target).toMatchObject({ type: 'tunnel', vpnId: expect.stringMatching(/^vpn-[0-9a-f]{17}$/) });
    expect(JSON.stringify(red)).not.toMatch(/0c2d4e6f8a0b1c3d5|34\.206\.11\.22/);
  });
});
