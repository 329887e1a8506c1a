import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { generateScenario, topology as T, type GenerateResult } from '../helpers/generator/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'gen-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const START = '2026-11-20T13:00:00Z';
const startS = Date.parse(START) / 1000;

async function gen(name: string, scenarios: Parameters<typeof generateScenario>[0]['scenarios'], extra: Partial<Parameters<typeof generateScenario>[0]> = {}): Promise<{ dir: string; r: GenerateResult }> {
  const dir = join(tmp, name);
  const r = await generateScenario({ scenarios, start: START, hours: 2, seed: 11, scale: 0.5, ...extra }, dir);
  return { dir, r };
}

const lines = (dir: string, rel: string) => gunzipSync(readFileSync(join(dir, rel))).toString('utf8').split('\n').filter((l) => l !== '');
const json = (dir: string, rel: string) => JSON.parse(readFileSync(join(dir, rel), 'utf8'));

interface Metric { Id: string; Timestamps: string[]; Values: number[] }
function metric(dir: string, id: string): Map<number, number> {
  const m = (json(dir, 'metrics/get-metric-data.json').MetricDataResults as Metric[]).find((x) => x.Id === id)!;
  return new Map(m.Timestamps.map((t, i) => [Date.parse(t) / 1000, m.Values[i]!]));
}
const sumIn = (m: Map<number, number>, from: number, to: number) => [...m].filter(([t]) => t >= from && t + 300 <= to).map(([, v]) => v);

describe('generator: files and formats', () => {
  let a: { dir: string; r: GenerateResult };
  beforeAll(async () => {
    a = await gen('ecmp', ['ecmp-asymmetric']);
  });

  it('is deterministic by seed, and the seed matters', async () => {
    const b = await gen('ecmp-again', ['ecmp-asymmetric']);
    expect(b.r.files.map((f) => f.path)).toEqual(a.r.files.map((f) => f.path));
    for (const f of a.r.files) expect(readFileSync(join(b.dir, f.path)).equals(readFileSync(join(a.dir, f.path))), f.path).toBe(true);
    const c = await gen('ecmp-seed', ['ecmp-asymmetric'], { seed: 12 });
    expect(c.r.counts.vpc_flows).not.toBe(a.r.counts.vpc_flows);
  });

  it('names S3 objects like AWS, groups them by 5-minute end-time buckets, and writes a header line', () => {
    const s3 = a.r.files.filter((f) => f.format === 's3-text' || f.format === 's3-hive');
    expect(s3.length).toBeGreaterThan(20);
    for (const f of s3) {
      const m = /(?:AWSLogs\/318927465021\/vpcflowlogs\/us-east-1\/\d{4}\/\d\d\/\d\d\/(?:\d\d\/)?|aws-account-id=318927465021\/aws-service=vpcflowlogs\/aws-region=us-east-1\/year=\d{4}\/month=\d\d\/day=\d\d\/)318927465021_vpcflowlogs_us-east-1_(fl-[0-9a-f]{17})_(\d{8}T\d{4}Z)_[0-9a-f]{8}\.log\.gz$/.exec(f.path);
      expect(m, f.path).not.toBeNull();
      const [, flId, stamp] = m!;
      const bucket = Date.parse(`${stamp!.slice(0, 4)}-${stamp!.slice(4, 6)}-${stamp!.slice(6, 8)}T${stamp!.slice(9, 11)}:${stamp!.slice(11, 13)}:00Z`) / 1000;
      const ls = lines(a.dir, f.path);
      const header = ls[0]!.split(' ');
      const expected = flId === T.FLOW_LOGS.appA.id ? T.V5_FIELDS : flId === T.FLOW_LOGS.appB.id ? T.V2_FIELDS : T.TGW_DEFAULT_FIELDS;
      expect(header).toEqual(expected);
      expect(ls.length - 1).toBe(f.records);
      const endIdx = header.indexOf('end');
      for (const l of ls.slice(1)) {
        const v = l.split(' ');
        expect(v.length).toBe(header.length);
        const end = Number(v[endIdx]);
        expect(end - (end % 300)).toBe(bucket);
        expect(v[0]).toBe(String(T.versionOf(expected)));
      }
    }
  });

  it('writes CloudWatch export chunks with ISO prefixes and filter-log-events pages without headers', () => {
    const exp = a.r.files.find((f) => f.format === 'cwl-export')!;
    expect(exp.path).toMatch(/^cwl-export\/[0-9a-f-]{36}\/eni-[0-9a-f]{17}-all\/000000\.gz$/);
    for (const l of lines(a.dir, exp.path)) {
      const [ts, ...rest] = l.split(' ');
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(rest.length).toBe(T.TGW_ENI_FIELDS.length);
    }
    const cw = a.r.files.find((f) => f.format === 'cwl-json')!;
    const docs = readFileSync(join(a.dir, cw.path), 'utf8').split(/\n(?=\{)/).map((d) => JSON.parse(d));
    const events = docs.flatMap((d: { events: { message: string; logStreamName: string }[] }) => d.events);
    expect(events.length).toBe(cw.records);
    expect(events[0]!.logStreamName).toBe(`${T.eni('tgw-eni-b').id}-all`);
    for (const e of events) expect(e.message.split(' ').length).toBe(T.TGW_ENI_FIELDS.length);
  });

  it('records TGW-ENI traffic with srcaddr ≠ pkt-srcaddr and TGW records with pair attachments', () => {
    const exp = a.r.files.find((f) => f.format === 'cwl-export')!;
    const F = T.TGW_ENI_FIELDS;
    const rows = lines(a.dir, exp.path).map((l) => l.split(' ').slice(1));
    const viaTgw = rows.filter((v) => v[F.indexOf('pkt-srcaddr')]!.startsWith('172.16.'));
    expect(viaTgw.length).toBeGreaterThan(10);
    for (const v of viaTgw) {
      expect(v[F.indexOf('srcaddr')]).toBe(T.eni('tgw-eni-a').ip);
      expect(v[F.indexOf('instance-id')]).toBe('-');
    }
    const tgwFile = a.r.files.find((f) => f.kind === 'tgw_flows')!;
    const H = T.TGW_DEFAULT_FIELDS;
    for (const l of lines(a.dir, tgwFile.path).slice(1)) {
      const v = l.split(' ');
      const att = v[H.indexOf('tgw-attachment-id')];
      const pair = v[H.indexOf('tgw-pair-attachment-id')];
      expect([T.VPC_ATTACH, T.VPN_ATTACH]).toContain(att);
      if (pair !== '-') expect(pair).not.toBe(att);
      if (att === T.VPN_ATTACH) {
        // The VPN side has no VPC fields.
        expect(v[H.indexOf(v[H.indexOf('flow-direction')] === 'ingress' ? 'tgw-src-vpc-id' : 'tgw-dst-vpc-id')]).toBe('-');
      }
    }
  });

  it('writes metrics newest first with +00:00 timestamps and a matching query file', () => {
    const doc = json(a.dir, 'metrics/get-metric-data.json');
    const r0 = doc.MetricDataResults[0] as Metric & { Label: string };
    expect(r0.Timestamps[0]).toMatch(/\+00:00$/);
    expect(Date.parse(r0.Timestamps[0]!)).toBeGreaterThan(Date.parse(r0.Timestamps[1]!));
    expect(r0.Label).toContain(T.VPN_ID);
    expect(readFileSync(join(a.dir, 'metrics/get-metric-data.json'), 'utf8')).toMatch(/^\s+\d+\.\d+,?$/m);
    const queries = json(a.dir, 'metrics/metric-data-queries.json') as { Id: string; MetricStat: { Period: number; Metric: { Dimensions: { Name: string; Value: string }[] } } }[];
    expect(queries.map((q) => q.Id).sort()).toEqual((doc.MetricDataResults as Metric[]).map((m) => m.Id).sort());
    expect(queries.every((q) => q.MetricStat.Period === 300)).toBe(true);
    expect(queries[0]!.MetricStat.Metric.Dimensions.map((d) => d.Name)).toEqual(['VpnId', 'TunnelIpAddress']);
  });

  it('keeps secrets in the VPN dump (for ingest to drop) and BGP messages as objects inside JSON strings', () => {
    const text = readFileSync(join(a.dir, 'config/describe-vpn-connections.json'), 'utf8');
    const vpn = JSON.parse(text).VpnConnections[0];
    expect(vpn.Options.TunnelOptions[0].PreSharedKey).toMatch(/^tsGEN\./);
    expect(vpn.CustomerGatewayConfiguration).toContain(`<pre_shared_key>${T.TUNNELS[1]!.psk}</pre_shared_key>`);
    expect(vpn.VgwTelemetry.map((t: { OutsideIpAddress: string }) => t.OutsideIpAddress)).toEqual(T.TUNNELS.map((t) => t.outsideIp));
    expect(json(a.dir, 'config/describe-transit-gateways.json').TransitGateways[0].Options.VpnEcmpSupport).toBe('enable');
    const att = json(a.dir, 'config/describe-transit-gateway-attachments.json').TransitGatewayAttachments;
    expect(att.find((x: { ResourceType: string }) => x.ResourceType === 'vpn').ResourceId).toBe(T.VPN_ID);
    const bgp = json(a.dir, 'vpn-logs/bgp.json').events.map((e: { message: string }) => JSON.parse(e.message));
    expect(bgp[0].type).toBe('RouteStatus');
    expect(typeof bgp[0].message).toBe('object');
  });

  it('puts truth windows inside the timeline', () => {
    const { truth } = a.r;
    for (const e of truth.expected) {
      expect(Date.parse(e.start)).toBeGreaterThanOrEqual(Date.parse(truth.start));
      expect(Date.parse(e.end)).toBeLessThanOrEqual(Date.parse(truth.end));
      expect(Date.parse(e.start)).toBeLessThan(Date.parse(e.end));
    }
  });
});

describe('generator: incident signatures in the raw data', () => {
  it('ecmp-asymmetric: AWS sends on both tunnels, on-prem only on tunnel 1; half-open and syn-no-synack truth', async () => {
    const { dir, r } = await gen('sig-ecmp', [{ kind: 'ecmp-asymmetric', at: 20, minutes: 60 }]);
    const from = startS + 1200;
    const to = from + 3600;
    const out2 = sumIn(metric(dir, 't2_out'), from, to);
    const in2 = sumIn(metric(dir, 't2_in'), from, to);
    const out1 = sumIn(metric(dir, 't1_out'), from, to);
    expect(out2.length).toBe(12);
    expect(Math.min(...out2)).toBeGreaterThan(2000); // real traffic on tunnel 2, not just keepalives
    expect(Math.min(...out1)).toBeGreaterThan(2000);
    expect(Math.max(...in2)).toBeLessThan(2000); // ≈ 0: keepalives only
    const before = sumIn(metric(dir, 't2_out'), startS, from);
    expect(Math.max(...before)).toBeLessThan(2000);
    const kinds = r.truth.expected.filter((e) => e.required).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['route-change', 'ecmp-active', 'asymmetric-return', 'half-open', 'syn-no-synack']));
    const bgp = JSON.parse(readFileSync(join(dir, 'vpn-logs/bgp.json'), 'utf8')).events.map((e: { message: string }) => JSON.parse(e.message));
    expect(bgp.map((b: { status: string; message: { asPath: string } }) => `${b.status} ${b.message.asPath}`)).toEqual(['UPDATED 65010', 'UPDATED 65010 65010 65010']);
  });

  it('tunnel-outage: TunnelState 0 on tunnel 1, traffic fails over to tunnel 2, DPD and BGP events', async () => {
    const { dir, r } = await gen('sig-outage', [{ kind: 'tunnel-outage', at: 30, periods: 4 }]);
    const from = startS + 1800;
    const st = sumIn(metric(dir, 't1_state'), from, from + 1200);
    expect(st).toEqual([0, 0, 0, 0]);
    expect(Math.min(...sumIn(metric(dir, 't2_in'), from, from + 1200))).toBeGreaterThan(2000);
    const tun = JSON.parse(readFileSync(join(dir, 'vpn-logs/tunnel-activity.json'), 'utf8').split(/\n(?=\{)/)[0]!);
    expect(tun.events.some((e: { message: string }) => e.message.includes('DPD timed out'))).toBe(true);
    expect(r.truth.expected.map((e) => e.kind)).toEqual(['tunnel-down', 'route-change']);
    expect(r.truth.expected[0]!.subject.tunnel_ip).toBe(T.TUNNELS[0]!.outsideIp);
  });

  it('sg-reject: REJECT records at db-1 ingress for 5432 from 172.16.20.0/24, and a reject-burst truth', async () => {
    const { dir, r } = await gen('sig-sg', [{ kind: 'sg-reject', at: 30, minutes: 30 }], { scale: 1 });
    const F = T.V5_FIELDS;
    const rejects = r.files.filter((f) => f.path.includes(T.FLOW_LOGS.appA.id)).flatMap((f) => lines(dir, f.path).slice(1).map((l) => l.split(' ')))
      .filter((v) => v[F.indexOf('action')] === 'REJECT' && v[F.indexOf('dstport')] === '5432');
    expect(rejects.length).toBeGreaterThanOrEqual(3);
    for (const v of rejects) {
      expect(v[F.indexOf('interface-id')]).toBe(T.eni('db-1').id);
      expect(v[F.indexOf('srcaddr')]).toMatch(/^172\.16\.20\./);
      expect(v[F.indexOf('tcp-flags')]).toBe('2');
      expect(v[F.indexOf('flow-direction')]).toBe('ingress');
    }
    const rb = r.truth.expected.find((e) => e.kind === 'reject-burst')!;
    expect(rb.required).toBe(true);
    expect(rb.subject).toEqual({ dst_addr: '10.10.1.50', dst_port: 5432, src_cidr: '172.16.20.0/24' });
  });

  it('blackhole: packets-lost-blackhole on the VPC attachment, blackhole route in the dump', async () => {
    const { dir, r } = await gen('sig-bh', ['blackhole']);
    const H = T.TGW_DEFAULT_FIELDS;
    const lost = r.files.filter((f) => f.kind === 'tgw_flows').flatMap((f) => lines(dir, f.path).slice(1).map((l) => l.split(' ')))
      .filter((v) => Number(v[H.indexOf('packets-lost-blackhole')]) > 0);
    expect(lost.length).toBeGreaterThan(0);
    for (const v of lost) {
      expect(v[H.indexOf('tgw-attachment-id')]).toBe(T.VPC_ATTACH);
      expect(v[H.indexOf('flow-direction')]).toBe('ingress');
      expect(v[H.indexOf('dstaddr')]).toMatch(/^172\.16\.20\./);
    }
    const routes = json(dir, 'config/search-transit-gateway-routes.json').Routes;
    expect(routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '172.16.20.0/24', State: 'blackhole' }));
    expect(r.truth.expected.find((e) => e.required)!.kind).toBe('tgw-drop');
  });

  it('skipdata: SKIPDATA records on web-1 and a silent web-2 while TGW logs still show its traffic', async () => {
    const { dir, r } = await gen('sig-skip', [{ kind: 'skipdata', at: 40 }]);
    const from = startS + 2400;
    const v5 = r.files.filter((f) => f.path.includes(T.FLOW_LOGS.appA.id)).flatMap((f) => lines(dir, f.path).slice(1));
    expect(v5.filter((l) => l.includes(' SKIPDATA ') && l.includes(T.eni('web-1').id)).length).toBeGreaterThanOrEqual(5);
    const v2 = r.files.filter((f) => f.path.includes(T.FLOW_LOGS.appB.id)).flatMap((f) => lines(dir, f.path).slice(1).map((l) => l.split(' ')));
    const web2 = v2.filter((v) => v[2] === T.eni('web-2').id && Number(v[10]) >= from + 600 && Number(v[10]) < from + 1200 - 600);
    expect(web2).toEqual([]);
    const tgw = r.files.filter((f) => f.kind === 'tgw_flows').flatMap((f) => lines(dir, f.path).slice(1).map((l) => l.split(' ')));
    const H = T.TGW_DEFAULT_FIELDS;
    expect(tgw.filter((v) => v[H.indexOf('dstaddr')] === T.eni('web-2').ip && Number(v[H.indexOf('start')]) >= from && Number(v[H.indexOf('start')]) < from + 1200).length).toBeGreaterThan(0);
    expect(r.truth.expected.map((e) => e.subject.interface_id)).toEqual([T.eni('web-1').id, T.eni('web-2').id]);
  });

  it('quiet: no expected findings, a handful of scanner REJECTs, TGW custom layout has 31 fields', async () => {
    const { dir, r } = await gen('sig-quiet', ['quiet'], { formats: { tgwLayout: 'custom' } });
    expect(r.truth.expected).toEqual([]);
    const tgw = r.files.find((f) => f.kind === 'tgw_flows')!;
    expect(lines(dir, tgw.path)[0]!.split(' ')).toEqual(T.TGW_CUSTOM_FIELDS);
    expect(T.TGW_CUSTOM_FIELDS.length).toBe(31);
    expect(T.TGW_DEFAULT_FIELDS.length).toBe(36);
  });
});
