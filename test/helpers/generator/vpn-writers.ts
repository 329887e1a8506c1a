/**
 * AWS/VPN CloudWatch metrics (get-metric-data + its query file, get-metric-statistics) and the
 * Site-to-Site VPN tunnel activity and BGP logs as `aws logs filter-log-events` output.
 */
import { Rng } from './prng.ts';
import { Out, isoOffset, isoZ, vpnReadable, cliJson } from './out.ts';
import { eventId, pages } from './flow-writers.ts';
import { TUNNELS, VPN_ID, type Tunnel } from './topology.ts';
import type { World } from './world.ts';

export interface VpnLogEvent {
  /** epoch ms */
  ts: number;
  tunnel: 1 | 2;
  log: 'tunnel' | 'bgp';
  body: Record<string, unknown>;
}

const tunnelOf = (k: 1 | 2): Tunnel => TUNNELS[k - 1]!;

/** Tunnel activity log object. event_timestamp in seconds (older/documented style); ingest detects by magnitude. */
export function tunnelEvent(ts: number, k: 1 | 2, details: string, p1: string, p2: string): VpnLogEvent {
  return {
    ts, tunnel: k, log: 'tunnel',
    body: { event_timestamp: Math.floor(ts / 1000), timestamp: vpnReadable(ts), details, dpd_enabled: true, nat_t_detected: false, ike_phase1_state: p1, ike_phase2_state: p2 },
  };
}

export function bgpStatus(ts: number, k: 1 | 2, status: 'UP' | 'DOWN', details: string): VpnLogEvent {
  const t = tunnelOf(k);
  return { ts, tunnel: k, log: 'bgp', body: { resource_id: `${VPN_ID}_${t.outsideIp}`, event_timestamp: ts, timestamp: vpnReadable(ts), type: 'BGPStatus', status, message: { details } } };
}

export function routeStatus(ts: number, k: 1 | 2, status: 'ADVERTISED' | 'UPDATED' | 'WITHDRAWN', prefix: string, asPath: string): VpnLogEvent {
  const t = tunnelOf(k);
  return {
    ts, tunnel: k, log: 'bgp',
    body: {
      resource_id: `${VPN_ID}_${t.outsideIp}`, event_timestamp: ts, timestamp: vpnReadable(ts), type: 'RouteStatus', status,
      message: { prefix, asPath, localPref: 100, med: 100, nextHopIp: t.cgwInsideIp, weight: 32768 },
    },
  };
}

export function writeVpnLogs(out: Out, events: VpnLogEvent[], seed: number): void {
  const rng = new Rng(seed ^ 0x1095);
  for (const log of ['tunnel', 'bgp'] as const) {
    const evs = events.filter((e) => e.log === log).sort((a, b) => a.ts - b.ts).map((e) => {
      const t = tunnelOf(e.tunnel);
      return {
        logStreamName: log === 'tunnel' ? `${VPN_ID}-${t.outsideIp}` : `${VPN_ID}_${t.outsideIp}`,
        timestamp: e.ts,
        message: JSON.stringify(e.body),
        ingestionTime: e.ts + rng.int(400, 4000),
        eventId: eventId(rng),
      };
    });
    const rel = log === 'tunnel' ? 'vpn-logs/tunnel-activity.json' : 'vpn-logs/bgp.json';
    out.write(rel, pages(evs, 50, rng), { kind: log === 'tunnel' ? 'vpn_tunnel_log' : 'vpn_bgp_log', format: 'cwl-json', records: evs.length });
  }
}

// ---- metrics -----------------------------------------------------------------------------------

const KEEPALIVE_BYTES = 19 * 10 + 40; // BGP keepalives every 30 s plus a little IKE/DPD, per 300 s

/** Fraction of [p, p+300) during which the tunnel was up. */
function upFraction(world: World, k: 1 | 2, p: number): number {
  let up = 0;
  for (let t = p; t < p + 300; t += 10) if (world.tunnelUp(k, t)) up++;
  return up / 30;
}

export interface MetricSeries { id: string; tunnel: 1 | 2; metric: 'TunnelDataIn' | 'TunnelDataOut' | 'TunnelState'; stat: 'Sum' | 'Average'; points: Map<number, number> }

export function metricSeries(world: World, tunnelBytes: Map<string, number>, start: number, end: number): MetricSeries[] {
  const out: MetricSeries[] = [];
  for (const k of [1, 2] as const) {
    const inS: MetricSeries = { id: `t${k}_in`, tunnel: k, metric: 'TunnelDataIn', stat: 'Sum', points: new Map() };
    const outS: MetricSeries = { id: `t${k}_out`, tunnel: k, metric: 'TunnelDataOut', stat: 'Sum', points: new Map() };
    const st: MetricSeries = { id: `t${k}_state`, tunnel: k, metric: 'TunnelState', stat: 'Average', points: new Map() };
    for (let p = Math.floor(start / 300) * 300; p < end; p += 300) {
      const f = upFraction(world, k, p);
      const ka = Math.round(KEEPALIVE_BYTES * f);
      inS.points.set(p, (tunnelBytes.get(`${k}|in|${p}`) ?? 0) + ka);
      outS.points.set(p, (tunnelBytes.get(`${k}|out|${p}`) ?? 0) + ka);
      st.points.set(p, Math.round(f * 1000) / 1000);
    }
    out.push(inS, outS, st);
  }
  return out;
}

function label(s: MetricSeries): string {
  return `${s.metric} ${VPN_ID} ${tunnelOf(s.tunnel).outsideIp}`;
}

export function writeMetrics(out: Out, series: MetricSeries[], start: number, end: number, seed: number): void {
  const rng = new Rng(seed ^ 0x3e7);
  const queries = series.map((s) => ({
    Id: s.id,
    MetricStat: {
      Metric: { Namespace: 'AWS/VPN', MetricName: s.metric, Dimensions: [{ Name: 'VpnId', Value: VPN_ID }, { Name: 'TunnelIpAddress', Value: tunnelOf(s.tunnel).outsideIp }] },
      Period: 300,
      Stat: s.stat,
    },
    Label: label(s),
    ReturnData: true,
  }));
  out.write('metrics/metric-data-queries.json', cliJson(queries), { kind: 'other', format: 'metric-data-queries', records: queries.length });
  const results = series.map((s) => {
    const ts = [...s.points.keys()].sort((a, b) => b - a); // newest first (TimestampDescending)
    return { Id: s.id, Label: label(s), Timestamps: ts.map(isoOffset), Values: ts.map((t) => s.points.get(t)!), StatusCode: 'Complete' };
  });
  out.write('metrics/get-metric-data.json', cliJson({ MetricDataResults: results, Messages: [] }, new Set(['Values'])), {
    kind: 'metrics', format: 'get-metric-data', records: results.reduce((n, r) => n + r.Values.length, 0),
  });
  for (const s of series.filter((x) => x.metric === 'TunnelState')) {
    const dps = [...s.points.entries()].map(([t, v]) => ({ Timestamp: isoZ(t), Average: v, Unit: 'None' }));
    for (let i = dps.length - 1; i > 0; i--) { const j = rng.int(0, i); [dps[i], dps[j]] = [dps[j]!, dps[i]!]; } // unordered, as the API returns
    out.write(`metrics/get-metric-statistics-TunnelState-${tunnelOf(s.tunnel).outsideIp}.json`, cliJson({ Label: 'TunnelState', Datapoints: dps }, new Set(['Average'])), {
      kind: 'metrics', format: 'get-metric-statistics', records: dps.length,
    });
  }
  void start; void end;
}
