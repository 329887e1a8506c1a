/**
 * `tunnelscope collect` end to end against a fake AWS endpoint on 127.0.0.1 (test/helpers/aws-fake)
 * holding a generated incident, with the S3-delivered flow logs in s3rver behind the same endpoint.
 * The CLI runs as a child process; the fake answers from this process, so the child is awaited
 * asynchronously (a blocking spawn would starve the fake).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { runAnalysis } from '../../src-main/engine/analysis/index.ts';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import { generateScenario, type Truth } from '../helpers/generator/index.ts';
import { loadExport, startAwsFake, type AwsFake } from '../helpers/aws-fake/index.ts';
import { startLocalS3, TEST_CREDENTIALS, type LocalS3 } from '../helpers/s3-local.ts';

const BIN = resolve(__dirname, '../../src-main/cli/bin.mjs');
const START = '2026-11-20T13:00:00Z';
const UNTIL = '2026-11-20T16:00:00Z';

let root: string;
let exportDir: string;
let truth: Truth;
let s3: LocalS3;
let psks: string[];
let baseline: { kinds: string[]; counts: Record<string, number> };

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  // s3rver only accepts its own keys; the fake ignores signatures. No other address is reachable from here.
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(root, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'no-credentials'),
  };
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => done({ code, out, err }));
  });
}

async function caseCounts(file: string): Promise<Record<string, number>> {
  const db = await Db.open(file);
  try {
    return (await db.one<Record<string, number>>(
      `SELECT (SELECT count(*) FROM vpc_flows)::INTEGER AS vpc_flows, (SELECT count(*) FROM tgw_flows)::INTEGER AS tgw_flows,
              (SELECT count(*) FROM vpn_events)::INTEGER AS vpn_events, (SELECT count(*) FROM bgp_events)::INTEGER AS bgp_events,
              (SELECT count(*) FROM metric_points WHERE tunnel_ip IS NOT NULL AND stat IS NOT NULL)::INTEGER AS tunnel_points,
              (SELECT count(*) FROM quarantine)::INTEGER AS quarantined`,
    ))!;
  } finally {
    await db.close();
  }
}

async function findingKinds(file: string): Promise<string[]> {
  const db = await Db.open(file);
  try {
    const rows = await db.all<{ kind: string }>("SELECT DISTINCT kind FROM findings WHERE severity <> 'info' ORDER BY kind");
    return rows.map((r) => r.kind);
  } finally {
    await db.close();
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

async function fake(pageSize = 25): Promise<AwsFake> {
  return startAwsFake(loadExport(exportDir), { pageSize, s3Endpoint: s3.endpoint });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tscope-collect-'));
  exportDir = join(root, 'export');
  ({ truth } = await generateScenario({ scenarios: ['tunnel-outage', 'sg-reject'], start: START, hours: 3, seed: 11, scale: 1 }, exportDir));
  psks = (JSON.parse(readFileSync(join(exportDir, 'config/describe-vpn-connections.json'), 'utf8')).VpnConnections[0].Options.TunnelOptions as { PreSharedKey: string }[]).map((t) => t.PreSharedKey);
  expect(psks.every((p) => p.length > 8)).toBe(true);

  s3 = await startLocalS3();
  const data = loadExport(exportDir);
  await s3.createBucket(`netops-flowlogs-${truth.topology.account}`);
  for (const key of data.s3Keys) await s3.put(`netops-flowlogs-${truth.topology.account}`, key, readFileSync(join(exportDir, 's3', key)));

  // What the generator's own export gives when ingested directly.
  const direct = join(root, 'direct.tscope');
  const db = await Db.open(direct);
  await ingestPaths(db, [exportDir]);
  await runAnalysis(db);
  await db.close();
  baseline = { kinds: await findingKinds(direct), counts: await caseCounts(direct) };
  expect(baseline.kinds).toEqual(expect.arrayContaining(['reject-burst', 'tunnel-down']));
});

afterAll(async () => {
  await s3?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('tunnelscope collect', () => {
  it('collects every source, pages through results, keeps secrets out, and finds the same incident as the direct export', async () => {
    const aws = await fake();
    try {
      const file = join(root, 'collected.tscope');
      const r = await cli(['collect', '--vpn-connection', truth.topology.vpnId, '--since', START, '--until', UNTIL, '--case', file, '--endpoint-url', aws.endpoint, '--json']);
      expect(r.code, r.err + r.out).toBe(0);
      const j = JSON.parse(r.out);
      expect(j.calls.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
      expect(j.bundle).toBe(`${file}.evidence`);
      expect(j.s3FlowLogDestinations).toEqual([`s3://netops-flowlogs-${truth.topology.account}/`]);
      expect(j.s3.failed).toEqual([]);
      expect(j.s3.fetched).toBe(loadExport(exportDir).s3Keys.length);
      expect(j.notes).toEqual([]);
      expect(r.err).toContain('collect: analysing');

      // Paged answers were followed to the end.
      const byAction = (a: string) => aws.calls.filter((c) => c.action === a);
      expect(byAction('GetMetricData').length).toBeGreaterThan(1);
      expect(byAction('GetMetricData').slice(1).every((c) => typeof c.params.NextToken === 'string')).toBe(true);
      const flowPages = byAction('FilterLogEvents').filter((c) => c.params.logGroupName === '/vpc/flowlogs/tgw-subnets');
      expect(flowPages.length).toBeGreaterThan(3);
      const metricsCall = j.calls.find((c: { api: string }) => c.api === 'cloudwatch:GetMetricData');
      expect(metricsCall.pages).toBe(byAction('GetMetricData').length);
      // Every call but the S3 ones went to the fake with the SDK's wire protocols.
      expect(new Set(aws.calls.map((c) => c.service))).toEqual(new Set(['ec2', 'monitoring', 'logs', 's3']));

      // Same records as the direct export (metrics: the get-metric-data series, attributed to tunnels).
      const counts = await caseCounts(file);
      expect(counts).toEqual({ ...baseline.counts, tunnel_points: counts.tunnel_points });
      expect(counts.tunnel_points).toBe(6 * 36);
      expect(await findingKinds(file)).toEqual(baseline.kinds);

      // Secrets never written: not in the bundle, the manifest, the case, or the output.
      const bundleFiles = filesUnder(`${file}.evidence`);
      expect(bundleFiles.map((f) => f.slice(file.length + '.evidence/'.length)).sort()).toEqual(
        expect.arrayContaining(['manifest.json', 'config/describe-vpn-connections.json', 'metrics/get-metric-data.json', 'metrics/metric-data-queries.json', 'flow-logs/vpc_flowlogs_tgw-subnets.json']),
      );
      for (const f of [...bundleFiles, file]) {
        const text = readFileSync(f).toString('latin1');
        for (const p of psks) expect(text.includes(p), `${p} in ${f}`).toBe(false);
        expect(text).not.toContain('pre_shared_key');
        expect(text).not.toContain(TEST_CREDENTIALS.secretAccessKey);
      }
      const vpn = JSON.parse(readFileSync(join(`${file}.evidence`, 'config/describe-vpn-connections.json'), 'utf8'));
      expect(vpn.VpnConnections[0].CustomerGatewayConfiguration).toBeUndefined();
      expect(vpn.VpnConnections[0].Options.TunnelOptions[0].PreSharedKey).toBeUndefined();
      expect(vpn.VpnConnections[0].Options.TunnelOptions[0].OutsideIpAddress).toBe(truth.topology.tunnels[0]!.outsideIp);
      for (const p of psks) expect(r.out + r.err).not.toContain(p);
      expect(r.out + r.err).not.toContain(TEST_CREDENTIALS.secretAccessKey);
      const manifest = JSON.parse(readFileSync(join(`${file}.evidence`, 'manifest.json'), 'utf8'));
      expect(manifest.window).toEqual({ since: '2026-11-20T13:00:00.000Z', until: '2026-11-20T16:00:00.000Z' });
      expect(manifest.calls.length).toBe(j.calls.length);
    } finally {
      await aws.close();
    }
  });

  it('reports access denied, a missing log group, throttling and logging turned off, and still lands the rest', async () => {
    const aws = await fake(50);
    try {
      const [t1, t2] = truth.topology.tunnels.map((t) => t.outsideIp);
      const tunnels = (aws.data.vpnConnections[0]!.Options as { TunnelOptions: { LogOptions: { CloudWatchLogOptions: Record<string, unknown> } }[] }).TunnelOptions;
      // Tunnel 1's activity log points at a group that was deleted; tunnel 2 has activity logging off.
      tunnels[0]!.LogOptions.CloudWatchLogOptions.LogGroupArn = 'arn:aws:logs:us-east-1:318927465021:log-group:/aws/vpn/deleted-group';
      tunnels[1]!.LogOptions.CloudWatchLogOptions.LogEnabled = false;
      aws.faults.set('SearchTransitGatewayRoutes', { status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation.' });
      aws.faults.set('FilterLogEvents', { status: 400, code: 'AccessDeniedException', message: 'not authorized to perform: logs:FilterLogEvents', when: '/bgp' });
      aws.faults.set('GetMetricData', { status: 400, code: 'Throttling', message: 'Rate exceeded', times: 2 });

      const file = join(root, 'partial.tscope');
      const bundle = join(root, 'partial-bundle');
      const r = await cli(['collect', '--vpn-connection', truth.topology.vpnId, '--since', START, '--until', UNTIL, '--case', file, '--bundle', bundle, '--endpoint-url', aws.endpoint]);
      expect(r.code, r.err + r.out).toBe(1);
      expect(r.out).toContain(`Evidence bundle: ${bundle}`);
      expect(r.out).toMatch(/FAILED ec2:SearchTransitGatewayRoutes tgw-rtb-\S+: UnauthorizedOperation: the credentials may not call ec2:SearchTransitGatewayRoutes/);
      expect(r.out).toMatch(/FAILED logs:FilterLogEvents \/aws\/vpn\/vpn-\S+\/bgp: AccessDeniedException: the credentials may not call logs:FilterLogEvents/);
      expect(r.out).toMatch(/FAILED logs:FilterLogEvents \/aws\/vpn\/deleted-group: ResourceNotFoundException/);
      expect(r.out).toContain(`note: Tunnel ${t2}: tunnel activity logging is not enabled`);
      expect(r.out).not.toContain(`note: Tunnel ${t1}`);
      expect(r.out).toMatch(/ok {5}cloudwatch:GetMetricData/);
      expect(r.err).toContain('collect: ec2:SearchTransitGatewayRoutes');

      // Access denied is not retried; throttling is, by the SDK, and then succeeds.
      expect(aws.calls.filter((c) => c.action === 'SearchTransitGatewayRoutes')).toHaveLength(1);
      const metricCalls = aws.calls.filter((c) => c.action === 'GetMetricData');
      expect(metricCalls.slice(0, 3).map((c) => c.status)).toEqual([400, 400, 200]);

      // Everything else landed: config, metrics, flow logs (CloudWatch and S3), no BGP or tunnel events.
      const counts = await caseCounts(file);
      expect(counts.vpc_flows).toBe(baseline.counts.vpc_flows);
      expect(counts.tgw_flows).toBe(baseline.counts.tgw_flows);
      expect(counts.tunnel_points).toBe(6 * 36);
      expect(counts.vpn_events).toBe(0);
      expect(counts.bgp_events).toBe(0);
      expect(counts.quarantined).toBe(0);
      expect(filesUnder(bundle).some((f) => f.includes('search-transit-gateway-routes'))).toBe(false);
      const kinds = await findingKinds(file);
      expect(kinds).toEqual(expect.arrayContaining(['reject-burst', 'tunnel-down']));
      const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
      expect(manifest.calls.filter((c: { ok: boolean }) => !c.ok).map((c: { code: string }) => c.code).sort()).toEqual(['AccessDeniedException', 'ResourceNotFoundException', 'UnauthorizedOperation']);
    } finally {
      await aws.close();
    }
  });

  it('exits 3 when the VPN connection cannot be read, and 2 on bad arguments', async () => {
    const aws = await fake();
    try {
      aws.faults.set('DescribeVpnConnections', { status: 403, code: 'UnauthorizedOperation' });
      const r = await cli(['collect', '--vpn-connection', truth.topology.vpnId, '--since', START, '--until', UNTIL, '--case', join(root, 'denied.tscope'), '--endpoint-url', aws.endpoint]);
      expect(r.code).toBe(3);
      expect(r.out).toContain('FAILED ec2:DescribeVpnConnections');
      expect(aws.calls.map((c) => c.action)).toEqual(['DescribeVpnConnections']);
      aws.faults.clear();
      const missing = await cli(['collect', '--vpn-connection', 'vpn-0123456789abcdef0', '--since', START, '--until', UNTIL, '--case', join(root, 'missing.tscope'), '--endpoint-url', aws.endpoint]);
      expect(missing.code).toBe(3);
      expect(missing.out).toContain("InvalidVpnConnectionID.NotFound (HTTP 400): The vpnConnection ID 'vpn-0123456789abcdef0' does not exist");
      const usage = await cli(['collect', '--vpn-connection', 'nope', '--since', START, '--until', UNTIL, '--case', join(root, 'x.tscope')]);
      expect(usage.code).toBe(2);
      const reversed = await cli(['collect', '--vpn-connection', truth.topology.vpnId, '--since', UNTIL, '--until', START, '--case', join(root, 'x.tscope')]);
      expect(reversed.code).toBe(2);
    } finally {
      await aws.close();
    }
  });
});
