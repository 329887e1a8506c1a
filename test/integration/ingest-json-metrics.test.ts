import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attributeSeries } from '../../src-main/engine/ingest/formats/metrics.ts';
import { caseScope, fix, type Case } from './ingest-json-harness.ts';

const A = 'vpn-0a1b2c3d4e5f60718';
const { open, tmpDir } = caseScope();

type Series = { series_key: string; vpn_id: string | null; tunnel_ip: string | null; metric: string; stat: string | null; period_s: number; attributed: boolean; n: number; first: string; last: string };
const series = (c: Case) =>
  c.all<Series>(
    `SELECT series_key, any_value(vpn_id) AS vpn_id, any_value(tunnel_ip) AS tunnel_ip, any_value(metric) AS metric, any_value(stat) AS stat,
            any_value(period_s) AS period_s, bool_and(attributed) AS attributed, count(*)::INTEGER AS n, min(ts) AS first, max(ts) AS last
     FROM metric_points GROUP BY series_key ORDER BY series_key`,
  );

describe('get-metric-data with a query file', () => {
  it('merges pages in any order and ties every series to its tunnel, whichever file comes first', async () => {
    for (const order of [
      ['metrics/get-metric-data.page2.json', 'metrics/queries.json', 'metrics/get-metric-data.page1.json'],
      ['metrics/queries.json', 'metrics/get-metric-data.page1.json', 'metrics/get-metric-data.page2.json'],
      ['metrics/get-metric-data.page1.json', 'metrics/get-metric-data.page2.json', 'metrics/queries.json'],
    ]) {
      const c = await open();
      for (const f of order) await c.ingest(fix(f));
      const s = await series(c);
      expect(s.map((x) => x.series_key)).toEqual(['m1:TunnelDataOut', 'm2:TunnelDataIn', 'm3:TunnelDataOut', 'm4:TunnelDataIn', 'm5:TunnelState']);
      expect(s[0]).toMatchObject({ vpn_id: A, tunnel_ip: '203.0.113.10', metric: 'TunnelDataOut', stat: 'Sum', period_s: 300, attributed: true, n: 12 });
      expect(s[0]!.first).toBe('2026-11-20T09:00:00.000Z');
      expect(s[0]!.last).toBe('2026-11-20T09:55:00.000Z');
      expect(s[2]).toMatchObject({ tunnel_ip: '203.0.113.20', attributed: true });
      // VpnId-only query: a whole-connection series, known exactly from its dimensions.
      expect(s[4]).toMatchObject({ vpn_id: A, tunnel_ip: null, stat: 'Minimum', attributed: true });
      const dims = await c.all<{ d: string }>("SELECT DISTINCT dimensions::VARCHAR AS d FROM metric_points WHERE series_key = 'm1:TunnelDataOut'");
      expect(dims[0]!.d).toContain('TunnelIpAddress');
      const tunnels = await c.all('SELECT vpn_id, tunnel_ip, origin FROM vpn_tunnels ORDER BY tunnel_ip');
      expect(tunnels).toEqual([
        { vpn_id: A, tunnel_ip: '203.0.113.10', origin: 'metrics' },
        { vpn_id: A, tunnel_ip: '203.0.113.20', origin: 'metrics' },
      ]);
    }
  });

  it('reads several pages pasted into one file, keeps values exact and notes PartialData', async () => {
    const c = await open();
    const r = await c.ingest(fix('metrics/get-metric-data.two-pages.json'));
    expect(r.result).toMatchObject({ linesRead: 60, records: 60, quarantined: 0 });
    expect(r.result.message).toMatch(/PartialData for m1, m2, m3, m4, m5 \(more pages exist/);
    const v = await c.all("SELECT value FROM metric_points WHERE series_key = 'm1:TunnelDataOut' AND ts = '2026-11-20T09:25:00Z'");
    expect(v).toEqual([{ value: 0 }]);
    const s = await series(c);
    expect(s.every((x) => !x.attributed && x.period_s === 300)).toBe(true);
  });

  it('writes a point once when the same page arrives twice (pasted pages and page files)', async () => {
    const c = await open();
    await c.ingest(fix('metrics/get-metric-data.two-pages.json'));
    const again = await c.ingest(fix('metrics/get-metric-data.page1.json'));
    expect(again.result).toMatchObject({ linesRead: 30, records: 0, overlapRecords: 30, quarantined: 0 });
    expect(await c.all('SELECT count(*)::INTEGER AS n FROM metric_points')).toEqual([{ n: 60 }]);
  });

  it('prefers the query file in the same folder when several define the same Id', async () => {
    const dir = tmpDir('tscope-q-');
    const other = join(dir, 'other');
    const here = join(dir, 'here');
    mkdirSync(other);
    mkdirSync(here);
    const wrong = [{ Id: 'm1', MetricStat: { Metric: { Namespace: 'AWS/VPN', MetricName: 'TunnelDataOut', Dimensions: [{ Name: 'VpnId', Value: 'vpn-0ffffffffffffffff' }, { Name: 'TunnelIpAddress', Value: '192.0.2.99' }] }, Period: 300, Stat: 'Sum' } }];
    writeFileSync(join(other, 'queries.json'), JSON.stringify(wrong));
    copyFileSync(fix('metrics/queries.json'), join(here, 'queries.json'));
    copyFileSync(fix('metrics/get-metric-data.page1.json'), join(here, 'page1.json'));
    const c = await open();
    await c.ingest(join(here, 'queries.json'));
    await c.ingest(join(here, 'page1.json'));
    await c.ingest(join(other, 'queries.json'));
    const s = await series(c);
    expect(s[0]).toMatchObject({ series_key: 'm1:TunnelDataOut', vpn_id: A, tunnel_ip: '203.0.113.10' });
  });
});

describe('labels, file names and explicit attribution', () => {
  it('reads tunnel and attachment ids from free-text labels and reports a Forbidden result', async () => {
    const c = await open();
    const r = await c.ingest(fix('metrics/labelled-get-metric-data.json'));
    expect(r.result).toMatchObject({ linesRead: 11, records: 11, quarantined: 0, status: 'partial' });
    expect(r.result.message).toMatch(/Forbidden for denied: User is not authorized/);
    const s = await series(c);
    const byKey = Object.fromEntries(s.map((x) => [x.series_key.split(':')[0], x]));
    expect(byKey.out1).toMatchObject({ vpn_id: A, tunnel_ip: '203.0.113.10', metric: 'TunnelDataOut', attributed: true });
    expect(byKey.st2).toMatchObject({ vpn_id: A, tunnel_ip: '203.0.113.20', metric: 'TunnelState', attributed: true });
    expect(byKey.plain).toMatchObject({ vpn_id: null, attributed: false, period_s: 300 });
    const tgw = await c.all("SELECT DISTINCT namespace, attachment_id, period_s, attributed FROM metric_points WHERE metric = 'PacketDropCountBlackhole'");
    expect(tgw).toEqual([{ namespace: 'AWS/TransitGateway', attachment_id: 'tgw-attach-0aaa1111bbbb2222c', period_s: 60, attributed: true }]);
  });

  it('sorts unordered get-metric-statistics points and takes the tunnel from the file name', async () => {
    const c = await open();
    await c.ingest(fix(`metrics/tunnelstate-${A}-203.0.113.10.json`));
    const pts = await c.all<{ ts: string; value: number }>('SELECT ts, value FROM metric_points ORDER BY ts');
    expect(pts).toHaveLength(12);
    expect(pts.slice(3, 8).map((p) => p.value)).toEqual([1, 0, 0, 0, 1]);
    const s = await series(c);
    expect(s).toEqual([
      expect.objectContaining({ series_key: `TunnelState:Minimum@tunnelstate-${A}-203.0.113.10.json`, vpn_id: A, tunnel_ip: '203.0.113.10', stat: 'Minimum', period_s: 300, attributed: true }),
    ]);
  });

  it('keeps unattributed series, quarantines bad datapoints and attributes at import with options.attribute', async () => {
    const c = await open();
    const r = await c.ingest(fix('metrics/tunnel2-state.json'), { attribute: [{ series: 'TunnelState:Minimum@tunnel2-state.json', vpnId: A, tunnelIp: '203.0.113.20' }] });
    expect(r.result).toMatchObject({ linesRead: 6, records: 8, quarantined: 2 });
    const q = await c.all<{ line: number; reason: string }>('SELECT line, reason FROM quarantine ORDER BY line');
    expect(q.map((x) => x.reason)).toEqual(['Timestamp "yesterday" is not an ISO 8601 time.', expect.stringMatching(/^Data point has no statistic/)]);
    const s = await series(c);
    expect(s.map((x) => [x.series_key, x.attributed, x.tunnel_ip])).toEqual([
      ['TunnelState:Maximum@tunnel2-state.json', false, null],
      ['TunnelState:Minimum@tunnel2-state.json', true, '203.0.113.20'],
    ]);
  });

  it('attributeSeries re-attributes imported points and rejects bad input with a clear message', async () => {
    const c = await open();
    await c.ingest(fix('metrics/labelled-get-metric-data.json'));
    const n = await c.db.use((conn) => attributeSeries(conn, 'plain:TunnelDataIn', A, '203.0.113.20'));
    expect(n).toBe(2);
    expect(await c.all("SELECT DISTINCT vpn_id, tunnel_ip, attributed FROM metric_points WHERE series_key = 'plain:TunnelDataIn'")).toEqual([
      { vpn_id: A, tunnel_ip: '203.0.113.20', attributed: true },
    ]);
    await expect(c.db.use((conn) => attributeSeries(conn, 'nope', A, '203.0.113.20'))).rejects.toMatchObject({ code: 'not-found' });
    await expect(c.db.use((conn) => attributeSeries(conn, 'plain:TunnelDataIn', 'vpn_123', '203.0.113.20'))).rejects.toMatchObject({ code: 'bad-argument' });
    // The query Id alone is enough.
    expect(await c.db.use((conn) => attributeSeries(conn, 'plain', 'vpn-0abc123', '203.0.113.10'))).toBe(2);
    expect(await c.all("SELECT DISTINCT vpn_id, tunnel_ip FROM metric_points WHERE series_key = 'plain:TunnelDataIn'")).toEqual([{ vpn_id: 'vpn-0abc123', tunnel_ip: '203.0.113.10' }]);
    await expect(c.db.use((conn) => attributeSeries(conn, 'plain:TunnelDataIn', A, '300.1.1.1'))).rejects.toMatchObject({ code: 'bad-argument' });
  });

  it('reads the AWS CLI get-metric-statistics example (not a VPN metric: kept, unattributed)', async () => {
    const c = await open();
    const r = await c.ingest(fix('conformance/get-metric-statistics.output.json'));
    expect(r.result).toMatchObject({ linesRead: 21, records: 21, quarantined: 0, timeMin: '2014-02-18T23:18:00.000Z', timeMax: '2014-02-19T19:18:00.000Z' });
    const s = await series(c);
    expect(s).toEqual([expect.objectContaining({ metric: 'CPUUtilization', stat: 'Maximum', period_s: 3600, attributed: false, n: 21 })]);
  });

  it('quarantines documents of the wrong shape and unreadable files, without failing the import', async () => {
    const dir = tmpDir('tscope-bad-');
    const shapes = join(dir, 'shapes.json');
    writeFileSync(shapes, '{"MetricDataResults": {"Id": "m1"}}\n{"Datapoints": [{"Timestamp": "2026-11-20T09:00:00Z", "Sum": "many"}], "Label": "TunnelDataIn"}\n{"Something": 1}\n{"MetricDataResults": [{"Id": "m9", "Timestamps": ["2026-11-20T09:00:00+00:00", "2026-11-20T09:05:00+00:00"], "Values": [1.0]}]}\n');
    const c = await open();
    const r = await c.ingest(shapes);
    expect(r.result).toMatchObject({ linesRead: 5, records: 1, quarantined: 4 });
    const reasons = (await c.all<{ reason: string }>('SELECT reason FROM quarantine ORDER BY line')).map((x) => x.reason);
    expect(reasons).toEqual([
      'MetricDataResults should be a list of results.',
      'Sum is not a number.',
      'Not a CloudWatch metrics document: it has neither MetricDataResults nor Datapoints.',
      'Timestamps and Values of this result have different lengths.',
    ]);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"MetricDataResults": [{"Id": "m1", "Timestamps": ["2026-11-20T09:00:00+00:00"], "Values": [1.0]}\n');
    const r2 = await c.ingest(broken);
    expect(r2.result).toMatchObject({ linesRead: 1, records: 0, quarantined: 1 });
    expect(await c.all('SELECT line, reason FROM quarantine WHERE source_id = $s', { s: r2.sourceId })).toEqual([
      { line: null, reason: expect.stringMatching(/^The file is not valid JSON/) },
    ]);
  });

  it('loads 100k points of one page with SQL only, in seconds', async () => {
    const dir = tmpDir('tscope-big-');
    const n = 100_000;
    const t0 = Date.UTC(2026, 0, 1);
    const ts = Array.from({ length: n }, (_, i) => new Date(t0 + (n - i) * 60_000).toISOString().replace('.000Z', '+00:00'));
    const values = Array.from({ length: n }, (_, i) => i % 7);
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify({ MetricDataResults: [{ Id: 'big', Label: `TunnelDataIn ${A} 203.0.113.10`, Timestamps: ts, Values: values, StatusCode: 'Complete' }] }, null, 2));
    const c = await open();
    const started = Date.now();
    const r = await c.ingest(big);
    const ms = Date.now() - started;
    expect(r.result).toMatchObject({ linesRead: n, records: n, quarantined: 0 });
    expect(await c.all('SELECT DISTINCT period_s, attributed FROM metric_points')).toEqual([{ period_s: 60, attributed: true }]);
    expect(ms).toBeLessThan(30_000);
  });
});
