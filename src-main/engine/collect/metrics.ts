/**
 * AWS/VPN tunnel metrics (TunnelDataIn, TunnelDataOut as Sum; TunnelState as Average) per tunnel,
 * dimensions VpnId + TunnelIpAddress, via GetMetricData. Pages are merged per query Id into one
 * get-metric-data document, and the queries go beside it as the `--metric-data-queries` file, so
 * ingest knows each series' metric and tunnel.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { Bundle } from './bundle.ts';
import type { CallLog } from './calls.ts';

const METRICS = [
  { name: 'TunnelDataIn', stat: 'Sum', id: 'in' },
  { name: 'TunnelDataOut', stat: 'Sum', id: 'out' },
  { name: 'TunnelState', stat: 'Average', id: 'state' },
] as const;

/**
 * CloudWatch keeps 1-minute points for 15 days, 5-minute points for 63 days, hourly after that;
 * AWS/VPN is published every 5 minutes, so 300 s unless the window is older than 63 days.
 */
export function periodFor(since: Date, now = Date.now()): number {
  return now - since.getTime() > 63 * 86400_000 ? 3600 : 300;
}

export function metricQueries(vpnId: string, tunnelIps: string[], period: number): MetricDataQuery[] {
  return tunnelIps.flatMap((ip, i) =>
    METRICS.map((m) => ({
      Id: `t${i + 1}_${m.id}`,
      Label: `${m.name} ${vpnId} ${ip}`,
      MetricStat: {
        Metric: { Namespace: 'AWS/VPN', MetricName: m.name, Dimensions: [{ Name: 'VpnId', Value: vpnId }, { Name: 'TunnelIpAddress', Value: ip }] },
        Period: period,
        Stat: m.stat,
      },
      ReturnData: true,
    })),
  );
}

export async function collectMetrics(cw: CloudWatchClient, vpnId: string, tunnelIps: string[], since: Date, until: Date, bundle: Bundle, log: CallLog, signal?: AbortSignal): Promise<void> {
  if (tunnelIps.length === 0) return;
  const queries = metricQueries(vpnId, tunnelIps, periodFor(since));
  await log.run('cloudwatch:GetMetricData', `AWS/VPN ${vpnId}`, async (o) => {
    const merged = new Map<string, { Id: string; Label?: string; Timestamps: Date[]; Values: number[]; StatusCode?: string; Messages: unknown[] }>();
    const messages: unknown[] = [];
    let token: string | undefined;
    do {
      const r = await cw.send(
        new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: since, EndTime: until, NextToken: token, ScanBy: 'TimestampDescending' }),
        { abortSignal: signal },
      );
      o.pages++;
      for (const res of r.MetricDataResults ?? []) add(merged, res);
      messages.push(...(r.Messages ?? []));
      token = r.NextToken;
    } while (token);
    const results = [...merged.values()].map((m) => {
      // Pages come newest first per query; keep one order even if the service mixed them.
      const idx = m.Timestamps.map((_, i) => i).sort((a, b) => m.Timestamps[b]!.getTime() - m.Timestamps[a]!.getTime());
      return { ...m, Timestamps: idx.map((i) => m.Timestamps[i]!), Values: idx.map((i) => m.Values[i]!), StatusCode: m.StatusCode === 'PartialData' ? 'Complete' : m.StatusCode };
    });
    o.items = results.reduce((n, r) => n + r.Values.length, 0);
    bundle.writeJson('metrics/metric-data-queries.json', queries);
    o.file = 'metrics/get-metric-data.json';
    bundle.writeJson(o.file, { MetricDataResults: results, Messages: messages });
  }, signal);
}

function add(merged: Map<string, { Id: string; Label?: string; Timestamps: Date[]; Values: number[]; StatusCode?: string; Messages: unknown[] }>, r: MetricDataResult): void {
  if (!r.Id) return;
  const m = merged.get(r.Id) ?? { Id: r.Id, Label: r.Label, Timestamps: [], Values: [], Messages: [] };
  m.Timestamps.push(...(r.Timestamps ?? []));
  m.Values.push(...(r.Values ?? []));
  // The last page's status is the query's (PartialData earlier only means "more pages").
  m.StatusCode = r.StatusCode;
  m.Messages.push(...(r.Messages ?? []));
  merged.set(r.Id, m);
}
