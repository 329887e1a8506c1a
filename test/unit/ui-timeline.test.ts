import { describe, expect, it } from 'vitest';
import type { Band, TimelineQuery, TimelineResult } from '../../src-main/shared/domain.ts';
import { bandAt, bandRate, bandsToSteps, brushToWindow, bucketsForFetch, fetchRange, maxBucketsFor, snapToBucket, zoomWindow } from '../../src-renderer/features/timeline/range.ts';
import { buildTimeline, eventColor, overviewBands, stateWord, tooltipHtml, layoutLanes } from '../../src-renderer/features/timeline/option.ts';
import { TimelineState } from '../../src-renderer/features/timeline/timeline.svelte.ts';
import { palettes } from '../../src-renderer/lib/charts/palette.ts';

const T0 = Date.parse('2026-03-14T09:00:00Z');
const MIN = 60_000;

function series(key: string, bands: Band[], unit: 'bytes' | 'count' | 'state' = 'bytes') {
  return { key, label: key, unit, granularitySeconds: 60, bands };
}

function result(over: Partial<TimelineResult> = {}): TimelineResult {
  const b = (v: number, i = 0, len = 5 * MIN): Band => ({ t0: T0 + i * len, t1: T0 + (i + 1) * len, v });
  return {
    from: T0,
    to: T0 + 60 * MIN,
    bucketSeconds: 60,
    tunnels: [
      { vpnId: 'vpn-1', tunnelIp: '203.0.113.10', label: 'vpn-1 tunnel 1', bytesIn: series('in1', [b(0, 0), b(0, 1)]), bytesOut: series('out1', [b(3e6, 0), b(6e6, 1)]), state: series('s1', [b(1, 0), b(0, 1)], 'state') },
      { vpnId: 'vpn-1', tunnelIp: '203.0.113.20', label: 'vpn-1 tunnel 2', bytesIn: series('in2', [b(9e6, 0)]), bytesOut: series('out2', [b(0, 0)]), state: series('s2', [b(1, 0)], 'state') },
    ],
    flowBytes: [series('vpc:ACCEPT', [b(100, 0, MIN)])],
    rejects: series('rejects', [b(4, 2, MIN)], 'count'),
    halfOpen: series('half-open', [b(2, 3, MIN)], 'count'),
    synNoSynAck: series('syn-no-synack', [], 'count'),
    tgwLost: series('tgw-lost', [], 'count'),
    events: [{ ts: T0 + 7 * MIN, kind: 'dpd-timeout', vpnId: 'vpn-1', tunnelIp: '203.0.113.20', label: 'DPD timeout <b>', details: 'AWS tunnel DPD timed out after 3 retransmits', ref: { table: 'vpn_events', sourceId: 1, line: 4 } }],
    findings: [{ id: 'f1', kind: 'asymmetric-return', severity: 'critical', start: T0 + 10 * MIN, end: T0 + 20 * MIN, title: 'Asymmetric' }],
    ...over,
  };
}

describe('timeline range math', () => {
  it('asks for about one bucket per 3 px, within the contract limits', () => {
    expect(maxBucketsFor(1200)).toBe(400);
    expect(maxBucketsFor(10)).toBe(10);
    expect(maxBucketsFor(1e6)).toBe(5000);
    expect(maxBucketsFor(NaN)).toBe(300);
  });

  it('fetches the window plus margin, clamped to the case, with buckets scaled to keep the visible resolution', () => {
    const full = { from: T0, to: T0 + 600 * MIN };
    const vis = { from: T0 + 100 * MIN, to: T0 + 110 * MIN };
    const f = fetchRange(vis, full);
    expect(f).toEqual({ from: T0 + 95 * MIN, to: T0 + 115 * MIN });
    expect(bucketsForFetch(f, vis, 1200)).toBe(800);
    expect(fetchRange({ from: T0, to: T0 + 10 * MIN }, full)).toEqual({ from: T0, to: T0 + 15 * MIN });
  });

  it('turns a brush into a window, and a click-sized brush into nothing', () => {
    expect(brushToWindow(T0 + 5 * MIN, T0 + MIN)).toEqual({ from: T0 + MIN, to: T0 + 5 * MIN });
    expect(brushToWindow(T0, T0 + 1000)).toBeNull();
  });

  it('zooms around a centre and snaps to buckets', () => {
    expect(zoomWindow({ from: 0, to: 100 }, 0.5)).toEqual({ from: 25, to: 75 });
    expect(zoomWindow({ from: 0, to: 100 }, 2, 20)).toEqual({ from: -20, to: 180 });
    expect(snapToBucket(T0 + 90_000, MIN, T0)).toBe(T0 + MIN);
  });

  it('draws bands as flat steps with breaks over gaps, and finds the band under a time', () => {
    const bands: Band[] = [
      { t0: 0, t1: 10, v: 1 },
      { t0: 10, t1: 20, v: 3 },
      { t0: 30, t1: 40, v: 2 },
    ];
    expect(bandsToSteps(bands)).toEqual([[0, 1], [10, 1], [10, 3], [20, 3], [20, null], [30, 2], [40, 2]]);
    expect(bandsToSteps(bands, (b) => -b.v)[0]).toEqual([0, -1]);
    expect(bandAt(bands, 10)).toBe(bands[1]);
    expect(bandAt(bands, 25)).toBeNull();
    expect(bandAt(bands, 39.9)).toBe(bands[2]);
    expect(bandRate({ t0: 0, t1: 300_000, v: 3e6 })).toBe(10_000);
  });
});

describe('timeline option', () => {
  const base = {
    overview: null,
    full: { from: T0, to: T0 + 60 * MIN },
    window: null,
    timeZone: 'utc' as const,
    theme: 'light' as const,
    highlight: null,
    selectedFindingId: null,
    replayAt: null,
    rem: 16,
    hover: { y: 0, gridWidth: 1000 },
  };

  it('stacks one lane per tunnel plus state, flows, rejects, handshakes and events, sharing the case time axis', () => {
    const b = buildTimeline({ ...base, result: result() });
    expect(b.lanes.map((l) => l.kind)).toEqual(['bytes', 'bytes', 'state', 'flows', 'rejects', 'handshake', 'events']);
    const o = b.option as { xAxis: { min: number; max: number }[]; grid: unknown[]; series: { id: string; data?: unknown[]; markArea?: { data: unknown[] } }[] };
    expect(o.grid).toHaveLength(b.lanes.length + 1); // + overview strip
    expect(o.xAxis.every((x) => x.min === T0 && x.max === T0 + 60 * MIN)).toBe(true);
    // out above the axis, in mirrored below
    const out = o.series.find((s) => s.id.endsWith('|out:vpn-1:203.0.113.10'))!;
    const inn = o.series.find((s) => s.id.endsWith('|in:vpn-1:203.0.113.20'))!;
    expect((out.data as [number, number][])[0]![1]).toBeGreaterThan(0);
    expect((inn.data as [number, number][])[0]![1]).toBeLessThan(0);
    // every lane carries the finding band
    const decos = o.series.filter((s) => s.id.startsWith('deco:'));
    expect(decos).toHaveLength(b.lanes.length);
    expect(decos.every((d) => d.markArea!.data.length === 1)).toBe(true);
    // lanes do not overlap and the chart is tall enough for all of them
    for (let i = 1; i < b.lanes.length; i++) expect(b.lanes[i]!.top).toBeGreaterThanOrEqual(b.lanes[i - 1]!.top + b.lanes[i - 1]!.height);
    expect(b.height).toBeGreaterThan(b.overviewTop);
  });

  it('sets the zoom window on the dataZoom and labels the axis with the zone', () => {
    const b = buildTimeline({ ...base, result: result(), window: { from: T0 + 10 * MIN, to: T0 + 20 * MIN }, timeZone: 'utc' });
    const o = b.option as { useUTC: boolean; dataZoom: { startValue: number; endValue: number }[]; xAxis: { name: string }[] };
    expect(o.dataZoom.map((d) => [d.startValue, d.endValue])).toEqual([[T0 + 10 * MIN, T0 + 20 * MIN], [T0 + 10 * MIN, T0 + 20 * MIN]]);
    expect(o.useUTC).toBe(true);
    expect(o.xAxis.some((x) => x.name === 'time (UTC)')).toBe(true);
    const local = buildTimeline({ ...base, result: result(), timeZone: 'local' }).option as { useUTC: boolean };
    expect(local.useUTC).toBe(false);
  });

  it('emphasises the highlighted tunnel and dims the others', () => {
    const b = buildTimeline({ ...base, result: result(), highlight: { tunnelIp: '203.0.113.20' }, selectedFindingId: 'f1' });
    const o = b.option as { grid: { show: boolean }[]; series: { id: string; lineStyle?: { opacity: number } }[] };
    expect(o.grid[1]!.show).toBe(true);
    expect(o.grid[0]!.show).toBe(false);
    expect(o.series.find((s) => s.id.endsWith('|out:vpn-1:203.0.113.10'))!.lineStyle!.opacity).toBeLessThan(1);
    expect(o.series.find((s) => s.id.endsWith('|out:vpn-1:203.0.113.20'))!.lineStyle!.opacity).toBe(1);
  });

  it('tooltips show band values for the lane under the pointer and escape text from the data', () => {
    const p = palettes.light;
    const { lanes } = layoutLanes(result(), 16, p);
    const html = tooltipHtml(lanes[0]!, T0 + 6 * MIN, 'utc', p, MIN);
    expect(html).toContain('2026-03-14 09:06:00 UTC');
    expect(html).toContain('19.5 KiB/s'); // 6e6 bytes over 5 min
    const ev = tooltipHtml(lanes.find((l) => l.kind === 'events')!, T0 + 7 * MIN + 10_000, 'utc', p, MIN);
    expect(ev).toContain('DPD timeout &lt;b&gt;');
    expect(ev).not.toContain('<b>DPD timeout <b>');
    const st = tooltipHtml(lanes.find((l) => l.kind === 'state')!, T0 + 6 * MIN, 'utc', p, MIN);
    expect(st).toContain('203.0.113.10: <b>down</b>');
    expect(st).toContain('203.0.113.20: <b>unknown</b>');
  });

  it('colours events by what they mean', () => {
    const p = palettes.light;
    expect(['dpd-timeout', 'ike-down', 'route-withdrawn', 'bgp-down'].map((k) => eventColor(p, k))).toEqual([p.down, p.down, p.down, p.down]);
    expect(['ike-established', 'bgp-up', 'route-advertised'].map((k) => eventColor(p, k))).toEqual([p.up, p.up, p.up]);
    expect(['route-updated', 'as-path-change'].map((k) => eventColor(p, k))).toEqual([p.synNoSynAck, p.synNoSynAck]);
    expect(eventColor(p, 'rekey')).toBe(p.textMuted);
  });

  it('reads tunnel state values as up / down / partly up / unknown', () => {
    expect([stateWord(1), stateWord(0), stateWord(0.5), stateWord(null), stateWord(-1)]).toEqual(['up', 'down', 'partly up', 'unknown', 'unknown']);
  });

  it('sums tunnel bytes per band start for the overview strip', () => {
    const o = overviewBands(result());
    expect(o[0]).toEqual({ t0: T0, t1: T0 + 5 * MIN, v: 12e6 });
  });
});

describe('TimelineState', () => {
  it('re-queries with the window (plus margin) and finer buckets, and drops stale answers', async () => {
    const calls: TimelineQuery[] = [];
    const resolvers: ((r: TimelineResult) => void)[] = [];
    const st = new TimelineState((q) => {
      calls.push(q);
      return new Promise((res) => resolvers.push(res));
    });
    const full = { from: T0, to: T0 + 600 * MIN };
    const first = st.load(full, full, {}, 1200);
    expect(calls).toHaveLength(2); // detail + overview
    const second = st.load({ from: T0 + 100 * MIN, to: T0 + 110 * MIN }, full, { port: 443 }, 1200);
    expect(calls[2]).toMatchObject({ from: new Date(T0 + 95 * MIN).toISOString(), to: new Date(T0 + 115 * MIN).toISOString(), filter: { port: 443 } });
    // the old answer arrives last: it must not replace the new one
    resolvers[2]!(result({ bucketSeconds: 10 }));
    resolvers[3]?.(result({ bucketSeconds: 600 }));
    await second;
    resolvers[0]!(result({ bucketSeconds: 60 }));
    resolvers[1]!(result({ bucketSeconds: 600 }));
    await first;
    expect(st.result!.bucketSeconds).toBe(10);
    expect(st.stepMs).toBe(10_000);
    expect(st.covers({ from: T0 + 101 * MIN, to: T0 + 109 * MIN }, 1200)).toBe(true);
    expect(st.covers({ from: T0 + 50 * MIN, to: T0 + 109 * MIN }, 1200)).toBe(false);
  });

  it('keeps the engine error as a sentence', async () => {
    const st = new TimelineState(async () => {
      throw new Error('No investigation is open.');
    });
    await st.load({ from: T0, to: T0 + MIN }, null, {}, 800);
    expect(st.error).toBe('No investigation is open.');
    expect(st.loading).toBe(false);
  });
});
