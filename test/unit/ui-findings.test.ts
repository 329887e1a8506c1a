import { describe, expect, it } from 'vitest';
import type { CaseSummary, Finding, RecordRef } from '../../src-main/shared/domain.ts';
import { conversationFilter, evidenceRefs, FindingsState, sortFindings, subjectText } from '../../src-renderer/features/findings/findings.svelte.ts';
import { Workbench } from '../../src-renderer/lib/state/workbench.svelte.ts';

const T0 = Date.parse('2026-03-14T09:00:00Z');
const MIN = 60_000;

function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: 'f-asym',
    kind: 'asymmetric-return',
    severity: 'critical',
    title: 'Return traffic leaves by the other tunnel',
    summary: 'Tunnel 1 only sends; tunnel 2 only receives.',
    start: new Date(T0 + 30 * MIN).toISOString(),
    end: new Date(T0 + 50 * MIN).toISOString(),
    subject: { vpn_id: 'vpn-1', tunnel_ip: '203.0.113.10', src_cidr: '10.1.0.0/16', dst_port: 443, protocol: 6 },
    stats: { bytes_out: 1000, bytes_in: 0 },
    evidence: {
      sql: 'SELECT 1',
      rows: [
        { table: 'vpc_flows', sourceId: 3, file: '/x/a.log', line: 12, values: {} },
        { table: 'vpc_flows', sourceId: 3, file: '/x/a.log', line: 12, values: {} },
        { table: 'rollup', sourceId: null, file: null, line: null, values: {} },
        { table: 'vpn_events', sourceId: 4, file: '/x/t.json', line: 2, values: {} },
      ],
    },
    ...over,
  };
}

function wbWithCase(): Workbench {
  const wb = new Workbench();
  wb.openCase({
    path: '/c.tscope',
    name: 'c',
    formatVersion: 1,
    readOnly: false,
    sources: [],
    counts: { vpc_flows: 0, tgw_flows: 0, metric_points: 0, vpn_events: 0, bgp_events: 0, config_objects: 0, quarantined: 0 },
    timeMin: new Date(T0).toISOString(),
    timeMax: new Date(T0 + 600 * MIN).toISOString(),
    tunnels: [],
    unattributedSeries: [],
    analyzedAt: null,
  } satisfies CaseSummary);
  return wb;
}

describe('findings helpers', () => {
  it('sorts by severity, then time', () => {
    const a = finding({ id: 'a', severity: 'info', start: new Date(T0).toISOString() });
    const b = finding({ id: 'b', severity: 'critical', start: new Date(T0 + MIN).toISOString() });
    const c = finding({ id: 'c', severity: 'critical', start: new Date(T0).toISOString() });
    expect(sortFindings([a, b, c]).map((f) => f.id)).toEqual(['c', 'b', 'a']);
  });

  it('describes the subject and turns it into the conversations filter', () => {
    const f = finding();
    expect(subjectText(f)).toBe('vpn-1 · tunnel 203.0.113.10 · from 10.1.0.0/16 · port 443');
    expect(conversationFilter(f)).toEqual({ from: f.start, to: f.end, cidr: '10.1.0.0/16', port: 443, protocol: 6, path: '203.0.113.10' });
    expect(conversationFilter(finding({ kind: 'half-open', subject: { dst_addr: '10.2.0.5' } }))).toMatchObject({ cidr: '10.2.0.5/32', state: 'half-open' });
  });

  it('collects unique record references from evidence rows that have a file line', () => {
    expect(evidenceRefs(finding())).toEqual([
      { table: 'vpc_flows', sourceId: 3, line: 12 },
      { table: 'vpn_events', sourceId: 4, line: 2 },
    ]);
  });
});

describe('FindingsState', () => {
  it('selecting a finding zooms to it with margin and highlights its tunnel; "show conversations" sets filter, window and tab', async () => {
    const wb = wbWithCase();
    const fs = new FindingsState({ list: async () => [finding()], records: async () => [], review: async () => finding() }, wb);
    await fs.load();
    fs.select(fs.list[0]!);
    expect(wb.selectedFindingId).toBe('f-asym');
    expect(fs.selected?.id).toBe('f-asym');
    expect(wb.highlight).toEqual({ vpnId: 'vpn-1', tunnelIp: '203.0.113.10', attachmentId: undefined });
    expect(wb.window).toEqual({ from: T0 + 25 * MIN, to: T0 + 55 * MIN });
    fs.showConversations(fs.list[0]!);
    expect(wb.tab).toBe('conversations');
    expect(wb.filter).toEqual({ cidr: '10.1.0.0/16', port: 443, protocol: 6, path: '203.0.113.10' });
    expect(wb.window).toEqual({ from: T0 + 30 * MIN, to: T0 + 50 * MIN });
  });

  it('loads raw records for the evidence, and says so when there are none', async () => {
    const wb = wbWithCase();
    let asked: RecordRef[] = [];
    const fs = new FindingsState(
      {
        list: async () => [],
        records: async (refs) => {
          asked = refs;
          return refs.map((r) => ({ ...r, file: '/x/a.log', text: `line ${r.line}`, fields: {} }));
        },
        review: async () => finding(),
      },
      wb,
    );
    await fs.loadRecords(finding());
    expect(asked).toHaveLength(2);
    expect(fs.records?.map((r) => r.text)).toEqual(['line 12', 'line 2']);
    await fs.loadRecords(finding({ evidence: { sql: '', rows: [] } }));
    expect(fs.recordsError).toMatch(/no raw records/);
  });

  it('review updates the finding, and a failing review shows a sentence instead of throwing', async () => {
    const wb = wbWithCase();
    let fail = false;
    const fs = new FindingsState(
      {
        list: async () => [finding()],
        records: async () => [],
        review: async (id, status, note) => {
          if (fail) throw new Error('Reviews are not available yet.');
          return { ...finding({ id }), review: { status, note } };
        },
      },
      wb,
    );
    await fs.load();
    await fs.review(fs.list[0]!, 'confirmed', 'seen in the CGW logs too');
    expect(fs.list[0]!.review).toEqual({ status: 'confirmed', note: 'seen in the CGW logs too' });
    fail = true;
    await fs.review(fs.list[0]!, 'dismissed', '');
    expect(fs.reviewError).toBe('Could not save the review: Reviews are not available yet.');
    expect(fs.list[0]!.review?.status).toBe('confirmed');
  });

  it('a restored view with a selected finding gets its tunnel emphasised again once findings load', async () => {
    const wb = wbWithCase();
    wb.selectedFindingId = 'f-asym';
    const fs = new FindingsState({ list: async () => [finding()], records: async () => [], review: async () => finding() }, wb);
    await fs.load();
    expect(wb.highlight).toMatchObject({ tunnelIp: '203.0.113.10' });
    expect(wb.window).toBeNull(); // the saved window stays as it was
  });

  it('keyboard navigation moves through the list', async () => {
    const wb = wbWithCase();
    const list = [finding({ id: 'a' }), finding({ id: 'b', start: new Date(T0 + 40 * MIN).toISOString() })];
    const fs = new FindingsState({ list: async () => list, records: async () => [], review: async () => finding() }, wb);
    await fs.load();
    fs.selectNext(1);
    expect(wb.selectedFindingId).toBe('a');
    fs.selectNext(1);
    expect(wb.selectedFindingId).toBe('b');
    fs.selectNext(1);
    expect(wb.selectedFindingId).toBe('b');
    fs.selectNext(-1);
    expect(wb.selectedFindingId).toBe('a');
  });
});
