/**
 * What the fake account holds, read from a scenario-generator export (test/helpers/generator):
 * config dumps, metric series (by metric + tunnel), and CloudWatch Logs events per log group
 * (VPN tunnel/BGP logs and CloudWatch-delivered flow logs, including export-task lines).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { topology } from '../generator/index.ts';

export interface LogEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export interface Series {
  metric: string;
  vpnId: string;
  tunnelIp: string;
  /** epoch s → value */
  points: Map<number, number>;
}

export interface FakeData {
  vpnConnections: Record<string, unknown>[];
  transitGateways: Record<string, unknown>[];
  attachments: Record<string, unknown>[];
  tgwRoutes: Record<string, unknown>[];
  routeTables: Record<string, unknown>[];
  flowLogs: Record<string, unknown>[];
  subnets: Record<string, unknown>[];
  series: Series[];
  logGroups: Map<string, LogEvent[]>;
  /** Relative paths of the export's S3-delivered objects (under s3/). */
  s3Keys: string[];
}

/** A JSON file that may hold several documents one after another (filter-log-events pages). */
function docs(path: string): Record<string, unknown>[] {
  const text = readFileSync(path, 'utf8');
  return JSON.parse('[' + text.replace(/([}\]])[ \t\r]*\n\s*([{[])/g, '$1,$2') + ']') as Record<string, unknown>[];
}

const list = (dir: string, file: string, key: string) =>
  existsSync(join(dir, 'config', file)) ? docs(join(dir, 'config', file)).flatMap((d) => (d[key] as Record<string, unknown>[]) ?? []) : [];

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

export const groupOfArn = (arn: string | undefined) => (arn ? /:log-group:([^:]+)/.exec(arn)?.[1] ?? null : null);

export function loadExport(dir: string): FakeData {
  const vpnConnections = list(dir, 'describe-vpn-connections.json', 'VpnConnections');
  const flowLogs = list(dir, 'describe-flow-logs.json', 'FlowLogs');
  const logGroups = new Map<string, LogEvent[]>();
  const add = (group: string | null, evs: LogEvent[]) => {
    if (!group) return;
    logGroups.set(group, [...(logGroups.get(group) ?? []), ...evs].sort((a, b) => a.timestamp - b.timestamp));
  };
  const events = (file: string) => (existsSync(file) ? docs(file).flatMap((d) => (d.events as LogEvent[]) ?? []) : []);

  const cw = (((vpnConnections[0]?.Options as Record<string, unknown>)?.TunnelOptions as Record<string, unknown>[]) ?? [])[0]?.LogOptions as
    | { CloudWatchLogOptions?: { LogGroupArn?: string; BgpLogGroupArn?: string } }
    | undefined;
  add(groupOfArn(cw?.CloudWatchLogOptions?.LogGroupArn), events(join(dir, 'vpn-logs/tunnel-activity.json')));
  add(groupOfArn(cw?.CloudWatchLogOptions?.BgpLogGroupArn), events(join(dir, 'vpn-logs/bgp.json')));

  // CloudWatch-delivered flow logs: filter-log-events pages and export-task chunks of the one group.
  const flowGroup = (flowLogs.find((f) => f.LogDestinationType === 'cloud-watch-logs')?.LogGroupName as string | undefined) ?? null;
  for (const f of walk(join(dir, 'cwl'))) add(flowGroup, events(f));
  let n = 0;
  for (const f of walk(join(dir, 'cwl-export')).filter((p) => p.endsWith('.gz'))) {
    const stream = relative(join(dir, 'cwl-export'), f).split('/')[1]!;
    const evs = gunzipSync(readFileSync(f))
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => {
        const sp = l.indexOf(' ');
        const ts = Date.parse(l.slice(0, sp));
        return { logStreamName: stream, timestamp: ts, message: l.slice(sp + 1), ingestionTime: ts + 1000, eventId: `export-${n++}` };
      });
    add(flowGroup, evs);
  }

  const series: Series[] = [];
  const qfile = join(dir, 'metrics/metric-data-queries.json');
  if (existsSync(qfile)) {
    const queries = JSON.parse(readFileSync(qfile, 'utf8')) as { Id: string; MetricStat: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } } }[];
    const results = docs(join(dir, 'metrics/get-metric-data.json')).flatMap((d) => d.MetricDataResults as { Id: string; Timestamps: string[]; Values: number[] }[]);
    for (const q of queries) {
      const r = results.find((x) => x.Id === q.Id);
      const dim = (n: string) => q.MetricStat.Metric.Dimensions.find((d) => d.Name === n)?.Value ?? '';
      const points = new Map<number, number>();
      r?.Timestamps.forEach((t, i) => points.set(Date.parse(t) / 1000, r.Values[i]!));
      series.push({ metric: q.MetricStat.Metric.MetricName, vpnId: dim('VpnId'), tunnelIp: dim('TunnelIpAddress'), points });
    }
  }

  const subnets = Object.values(topology.SUBNETS).map((s) => ({
    SubnetId: s.id,
    VpcId: topology.VPC_ID,
    CidrBlock: s.cidr,
    AvailabilityZoneId: s.az,
    State: 'available',
  }));

  return {
    vpnConnections,
    transitGateways: list(dir, 'describe-transit-gateways.json', 'TransitGateways'),
    attachments: list(dir, 'describe-transit-gateway-attachments.json', 'TransitGatewayAttachments'),
    tgwRoutes: list(dir, 'search-transit-gateway-routes.json', 'Routes'),
    routeTables: list(dir, 'describe-route-tables.json', 'RouteTables'),
    flowLogs,
    subnets,
    series,
    logGroups,
    s3Keys: walk(join(dir, 's3')).map((p) => relative(join(dir, 's3'), p)),
  };
}
