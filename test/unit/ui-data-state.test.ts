import { describe, expect, it } from 'vitest';
import type { ConversationRow } from '../../src-main/shared/domain.ts';
import {
  ConversationsState,
  draftFromFilter,
  filterFromDraft,
  groupRecords,
  nextSort,
  queryArgs,
  timeScope,
} from '../../src-renderer/features/conversations/conversations.svelte.ts';
import { parseTimeInput } from '../../src-renderer/features/conversations/time-input.ts';
import { SqlState } from '../../src-renderer/features/sql/sql.svelte.ts';
import { NotesState, noteArgs, parseTags } from '../../src-renderer/features/case/notes.svelte.ts';
import { Workbench } from '../../src-renderer/lib/state/workbench.svelte.ts';
import { cidrProblem, parseProtocol, portLabel, tcpFlagsLabel, formatEta } from '../../src-renderer/lib/ui/format.ts';
import { fakeApi, summary } from './ui-data-fakes.ts';

const T0 = Date.parse('2026-03-14T09:00:00Z');

function conv(i: number): ConversationRow {
  return {
    id: `c${i}`, protocol: 6, client: '10.0.0.1', clientPort: 40000 + i, server: '172.16.0.5', serverPort: 443, state: 'completed',
    firstSeen: new Date(T0 + i * 1000).toISOString(), lastSeen: new Date(T0 + i * 1000 + 5000).toISOString(),
    bytesFwd: 100, bytesRev: 200, packetsFwd: 1, packetsRev: 2, flagsFwd: 19, flagsRev: 18, action: 'ACCEPT', capturePoints: ['eni-1'], paths: ['tgw-attach-1'],
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('conversation filters → query args', () => {
  it('validates the form and explains what is wrong', () => {
    const { filter, problems } = filterFromDraft({ cidr: '10.1.0.0/33', port: '70000', protocol: 'udp', action: 'REJECT', state: 'half-open', path: ' tgw-attach-9 ', capturePoint: '' });
    expect(filter).toEqual({ protocol: 17, action: 'REJECT', state: 'half-open', path: 'tgw-attach-9' });
    expect(Object.keys(problems).sort()).toEqual(['cidr', 'port']);
    expect(filterFromDraft(draftFromFilter({ cidr: '2001:db8::/32', port: 443, protocol: 6 })).filter).toEqual({ cidr: '2001:db8::/32', port: 443, protocol: 6 });
  });

  it('puts the time scope and sort into the request', () => {
    const args = queryArgs({ port: 443 }, { from: T0, to: T0 + 60_000 }, { column: 'bytesFwd', dir: 'desc' }, 400, 200);
    expect(args).toEqual({
      filter: { port: 443, from: '2026-03-14T09:00:00.000Z', to: '2026-03-14T09:01:00.000Z' },
      sort: { column: 'bytesFwd', dir: 'desc' },
      offset: 400,
      limit: 200,
    });
    expect(queryArgs({}, null, null, 0, 50)).toEqual({ filter: {}, offset: 0, limit: 50 });
  });

  it('follows the playhead only when asked (or playing)', () => {
    const w = { from: T0, to: T0 + 3_600_000 };
    expect(timeScope(w, T0 + 600_000, false)).toBe(w);
    expect(timeScope(w, T0 + 600_000, true)).toEqual({ from: T0 + 540_000, to: T0 + 600_000 });
    expect(timeScope(w, T0 + 600_000, true, 300_000)).toEqual({ from: T0 + 300_000, to: T0 + 600_000 });
    expect(timeScope(w, T0 + 600_000, true, 10_000)).toEqual({ from: T0 + 540_000, to: T0 + 600_000 });
    expect(timeScope(null, null, true)).toBeNull();
  });

  it('sorts volumes descending first and flips on a second click', () => {
    expect(nextSort(null, 'bytesFwd')).toEqual({ column: 'bytesFwd', dir: 'desc' });
    expect(nextSort({ column: 'bytesFwd', dir: 'desc' }, 'bytesFwd')).toEqual({ column: 'bytesFwd', dir: 'asc' });
    expect(nextSort({ column: 'bytesFwd', dir: 'desc' }, 'firstSeen')).toEqual({ column: 'firstSeen', dir: 'asc' });
  });

  it('groups raw records by capture point, forward before reverse', () => {
    const rec = (cp: string, direction: 'forward' | 'reverse', line: number) => ({ table: 'vpc_flows' as const, sourceId: 1, line, file: '/f', text: 'x', fields: {}, capturePoint: cp, direction });
    const g = groupRecords([rec('eni-b', 'reverse', 1), rec('eni-a', 'reverse', 2), rec('eni-a', 'forward', 3)]);
    expect(g.map((x) => `${x.capturePoint}/${x.direction}`)).toEqual(['eni-a/forward', 'eni-a/reverse', 'eni-b/reverse']);
  });
});

describe('ConversationsState', () => {
  function setup(total = 1_000_000) {
    const api = fakeApi({
      'conversations.query': (a: { offset: number; limit: number }) => ({ total, offset: a.offset, rows: Array.from({ length: Math.min(a.limit, total - a.offset) }, (_, k) => conv(a.offset + k)) }),
      'conversations.get': (a: { id: string }) => ({ conversation: conv(Number(a.id.slice(1))), records: [] }),
    });
    const wb = new Workbench();
    wb.openCase(summary());
    return { api, wb, s: new ConversationsState(api, wb) };
  }

  it('loads the first page with the window and filter, then pages on scroll', async () => {
    const { api, wb, s } = setup();
    wb.setWindow(T0 + 60_000, T0 + 120_000);
    wb.setFilter({ port: 443 });
    s.sync();
    await tick();
    expect(s.total).toBe(1_000_000);
    expect(s.row(0)?.id).toBe('c0');
    const first = api.calls[0]![1] as { filter: Record<string, unknown>; offset: number };
    expect(first.filter).toMatchObject({ port: 443, from: '2026-03-14T09:01:00.000Z', to: '2026-03-14T09:02:00.000Z' });
    expect(first.offset).toBe(0);
    s.setRange(500_000, 500_030);
    await tick();
    expect(s.row(500_010)?.id).toBe('c500010');
    expect(api.calls.at(-1)![1]).toMatchObject({ offset: 500_000, limit: 200 });
  });

  it('keeps showing the old rows until the new query answers, and scrolls to the top on a new filter', async () => {
    const { wb, s } = setup(1000);
    s.sync();
    await tick();
    const resets = s.scrollResets;
    wb.setFilter({ action: 'REJECT' });
    s.sync();
    expect(s.row(0)?.id).toBe('c0'); // still the old page while the new one loads
    await tick();
    expect(s.scrollResets).toBe(resets + 1);
    expect(s.loading).toBe(false);
  });

  it('mirrors the shared filter into the form and applies the form back', () => {
    const { wb, s } = setup();
    wb.setFilter({ cidr: '10.0.0.0/8', state: 'half-open' });
    s.loadDraft(wb.filter);
    expect(s.draft.cidr).toBe('10.0.0.0/8');
    expect(s.draft.state).toBe('half-open');
    s.draft.port = 'abc';
    s.draft.protocol = 'tcp';
    s.applyDraft();
    expect(wb.filter).toEqual({ cidr: '10.0.0.0/8', state: 'half-open', protocol: 6 });
    expect(s.problems.port).toMatch(/0 to 65535/);
    s.clearFilters();
    expect(wb.filter).toEqual({});
  });

  it('uses the playhead neighbourhood while the replay plays', async () => {
    const { api, wb, s } = setup();
    wb.seek(T0 + 1_800_000);
    expect(s.followingPlayhead).toBe(false);
    wb.playing = true;
    expect(s.followingPlayhead).toBe(true);
    wb.playing = false;
    s.sync();
    await tick();
    const f = (api.calls.at(-1)![1] as { filter: { from?: string } }).filter;
    expect(f.from).toBeUndefined(); // paused, not pinned: the brushed window (none) applies
    s.pinToPlayhead = true;
    s.sync();
    await tick();
    expect((api.calls.at(-1)![1] as { filter: { from: string; to: string } }).filter).toMatchObject({
      from: new Date(T0 + 1_800_000 - 60_000).toISOString(),
      to: new Date(T0 + 1_800_000).toISOString(),
    });
  });

  it('loads the detail of the selected conversation and ignores a stale answer', async () => {
    const { s } = setup();
    const a = s.select(conv(1));
    const b = s.select(conv(2));
    await Promise.all([a, b]);
    expect(s.selectedId).toBe('c2');
    expect(s.detail?.conversation.id).toBe('c2');
  });
});

describe('SqlState', () => {
  it('runs with the limit, shows the engine error, and never runs a library query by itself', async () => {
    let fail = false;
    const api = fakeApi({
      'sql.run': (a: { sql: string; limit: number }) => {
        if (fail) throw new Error('Only read-only statements are allowed (SELECT, WITH, DESCRIBE, SHOW, EXPLAIN).');
        return { columns: ['n', 'txt'], types: ['BIGINT', 'VARCHAR'], rows: [[1, 'a,b'], [2, null]], truncated: false, elapsedMs: 3 };
      },
      'sql.library': () => [{ id: 'top', name: 'Top talkers per tunnel', sql: 'SELECT 1', builtIn: true }],
    });
    const s = new SqlState(api);
    await s.loadLibrary();
    s.pick(s.library[0]!);
    expect(s.text).toBe('SELECT 1');
    expect(api.calls.map((c) => c[0])).toEqual(['sql.library']);
    await s.run();
    expect(api.calls.at(-1)).toEqual(['sql.run', { sql: 'SELECT 1', limit: 10_000 }]);
    expect(s.delimited(',')).toBe('n,txt\r\n1,"a,b"\r\n2,\r\n');
    let copied = '';
    await s.copy('\t', { writeText: async (t: string) => void (copied = t) });
    expect(copied).toBe('n\ttxt\r\n1\ta,b\r\n2\t\r\n');
    expect(s.copied).toMatch(/2 rows as TSV/);
    fail = true;
    s.text = 'DELETE FROM sources';
    await s.run();
    expect(s.error).toMatch(/read-only/);
  });
});

describe('NotesState', () => {
  it('parses tags', () => {
    expect(parseTags('dpd, #tunnel-2  dpd;asym')).toEqual(['dpd', 'tunnel-2', 'asym']);
  });

  it('builds targets for each anchor', () => {
    const wb = new Workbench();
    wb.openCase(summary());
    expect(noteArgs('playhead', 'note', 'x', [], wb, null)).toBeNull();
    wb.seek(T0 + 600_000);
    expect(noteArgs('playhead', 'bookmark', '', [], wb, null)).toMatchObject({
      kind: 'bookmark', at: '2026-03-14T09:10:00.000Z', target: { type: 'range', from: '2026-03-14T09:09:00.000Z', to: '2026-03-14T09:11:00.000Z' },
    });
    expect(noteArgs('window', 'note', 'x', ['a'], wb, null)).toMatchObject({ target: { type: 'range', from: '2026-03-14T09:00:00.000Z', to: '2026-03-14T10:00:00.000Z' }, tags: ['a'] });
    expect(noteArgs('conversation', 'note', 'x', [], wb, 'c7')).toMatchObject({ target: { type: 'conversation', conversationId: 'c7' } });
  });

  it('adds, lists, removes and jumps to a bookmark', async () => {
    const notes: any[] = [];
    const api = fakeApi({
      'notes.list': () => notes,
      'notes.add': (a: any) => ({ ...a, id: `n${notes.length}`, createdAt: '2026-03-14T12:00:00.000Z' }),
      'notes.remove': () => null,
    });
    const wb = new Workbench();
    wb.openCase(summary());
    const s = new NotesState(api, wb);
    await s.load();
    wb.setWindow(T0 + 60_000, T0 + 120_000);
    s.anchor = 'window';
    s.text = 'SYN without SYN-ACK from 10.0.0.0/24';
    s.tagsText = 'asym';
    await s.add();
    expect(s.items).toHaveLength(1);
    expect(s.text).toBe('');
    expect(api.calls.at(-1)![1]).toMatchObject({ kind: 'note', tags: ['asym'], target: { type: 'range', from: '2026-03-14T09:01:00.000Z' } });
    wb.resetWindow();
    s.jump(s.items[0]!);
    expect(wb.window).toEqual({ from: T0 + 60_000, to: T0 + 120_000 });
    await s.remove('n0');
    expect(s.items).toHaveLength(0);
  });

  it('asks for a server-side path and reports the written file', async () => {
    const api = fakeApi({ 'report.export': (a: any) => ({ path: a.out }), 'case.redact': (a: any) => ({ path: a.out }) });
    const wb = new Workbench();
    wb.openCase(summary());
    const s = new NotesState(api, wb);
    s.openExport('report');
    expect(s.exportOut).toBe('/tmp/case-report.html');
    s.setExportFormat('md');
    expect(s.exportOut).toBe('/tmp/case-report.md');
    await s.runExport();
    expect(api.calls.at(-1)).toEqual(['report.export', { out: '/tmp/case-report.md', format: 'md' }]);
    expect(s.exportedPath).toBe('/tmp/case-report.md');
    s.openExport('shared');
    s.keepRecords = false;
    await s.runExport();
    expect(api.calls.at(-1)).toEqual(['case.redact', { out: '/tmp/case-shared.tscope', keepRecords: false, keepNotes: true }]);
  });
});

describe('formatting and parsing helpers', () => {
  it('protocols, ports, flags, ETA, CIDR', () => {
    expect(parseProtocol('esp')).toBe(50);
    expect(parseProtocol('300')).toBeNaN();
    expect(parseProtocol(' ')).toBeNull();
    expect(portLabel(179)).toBe('179 (bgp)');
    expect(tcpFlagsLabel(19)).toBe('SYN ACK FIN');
    expect(tcpFlagsLabel(2)).toBe('SYN');
    expect(formatEta(75)).toBe('about 1 min');
    expect(formatEta(null)).toBe('—');
    expect(cidrProblem('10.0.0.0/16')).toBeNull();
    expect(cidrProblem('10.0.0.300')).toMatch(/not an IPv4/);
    expect(cidrProblem('fe80::1/129')).toMatch(/0–128/);
  });

  it('reads typed times in UTC or local and rejects impossible ones', () => {
    expect(parseTimeInput('2026-03-14 09:12', 'utc')).toBe(Date.parse('2026-03-14T09:12:00Z'));
    expect(parseTimeInput('2026-03-14 09:12:05 UTC', 'local')).toBe(Date.parse('2026-03-14T09:12:05Z'));
    expect(parseTimeInput('2026-03-14T09:12:05+02:00', 'utc')).toBe(Date.parse('2026-03-14T07:12:05Z'));
    expect(parseTimeInput('2026-02-31 00:00', 'utc')).toBeNaN();
    expect(parseTimeInput('yesterday', 'utc')).toBeNaN();
  });
});
