/**
 * tunnel-down: outages per tunnel, from the TunnelState metric (1 = up; for BGP VPNs 1 = BGP
 * established) or, where no metric exists, from the tunnel and BGP logs (DPD timeout / IKE down /
 * BGP DOWN until the next IKE established / BGP UP). Each outage quotes the log lines around it.
 */
import type { Conn } from '../../db/index.ts';
import { fmtTime, lit, plural } from '../util.ts';
import { listText, tunnelLabel, windowText } from './common.ts';
import type { Detector, DetectorContext, Draft } from './types.ts';
import { tunnelActivity } from './tunnel-activity.ts';

interface Outage {
  vpnId: string;
  tunnelIp: string;
  start: number;
  end: number;
  from: 'metric' | 'logs';
  points: number;
  openEnded: boolean;
  wholeSpan: boolean;
}

/** Intervals where TunnelState < 1, per attributed tunnel. */
async function metricOutages(c: Conn): Promise<{ outages: Outage[]; covered: Set<string> }> {
  const pts = await c.all<{ vpn_id: string; tunnel_ip: string; t: number; v: number; period: number }>(
    `SELECT vpn_id, tunnel_ip, epoch(ts)::BIGINT AS t, value AS v, coalesce(period_s, 300) AS period
     FROM metric_points WHERE metric = 'TunnelState' AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL AND value IS NOT NULL
     ORDER BY vpn_id, tunnel_ip, ts`,
  );
  const outages: Outage[] = [];
  const covered = new Set<string>();
  let i = 0;
  while (i < pts.length) {
    const key = `${pts[i]!.vpn_id}|${pts[i]!.tunnel_ip}`;
    covered.add(key);
    let j = i;
    while (j < pts.length && `${pts[j]!.vpn_id}|${pts[j]!.tunnel_ip}` === key) j++;
    const series = pts.slice(i, j);
    let cur: Outage | null = null;
    for (const p of series) {
      if (p.v < 1) {
        if (!cur) cur = { vpnId: p.vpn_id, tunnelIp: p.tunnel_ip, start: p.t, end: p.t + p.period, from: 'metric', points: 0, openEnded: false, wholeSpan: false };
        cur.points++;
        cur.end = p.t + p.period;
      } else if (cur) {
        cur.end = p.t;
        outages.push(cur);
        cur = null;
      }
    }
    if (cur) {
      cur.openEnded = true;
      outages.push(cur);
    }
    for (const o of outages.filter((o) => `${o.vpnId}|${o.tunnelIp}` === key)) {
      o.wholeSpan = o.start <= series[0]!.t && o.openEnded;
    }
    i = j;
  }
  return { outages, covered };
}

const DOWN_EVENTS = ['dpd-timeout', 'ike-down', 'phase2-down'];

/** For tunnels without a TunnelState series: down at DPD/IKE-down/BGP DOWN, up at IKE established/BGP UP. */
async function logOutages(c: Conn, covered: Set<string>): Promise<Outage[]> {
  const ev = await c.all<{ vpn_id: string; tunnel_ip: string; t: number; down: boolean }>(
    `SELECT vpn_id, tunnel_ip, epoch(ts)::BIGINT AS t, event IN (${DOWN_EVENTS.map(lit).join(', ')}) AS down
     FROM vpn_events WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
       AND (event IN (${DOWN_EVENTS.map(lit).join(', ')}) OR event = 'ike-established')
     UNION ALL
     SELECT vpn_id, tunnel_ip, epoch(ts)::BIGINT, status = 'DOWN' FROM bgp_events
     WHERE type = 'BGPStatus' AND status IN ('UP', 'DOWN') AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
     ORDER BY 1, 2, 3`,
  );
  const out: Outage[] = [];
  let cur: Outage | null = null;
  let key = '';
  for (const e of ev) {
    const k = `${e.vpn_id}|${e.tunnel_ip}`;
    if (covered.has(k)) continue;
    if (k !== key) {
      if (cur) out.push({ ...cur, openEnded: true });
      cur = null;
      key = k;
    }
    if (e.down && !cur) cur = { vpnId: e.vpn_id, tunnelIp: e.tunnel_ip, start: e.t, end: e.t, from: 'logs', points: 0, openEnded: false, wholeSpan: false };
    else if (e.down && cur) cur.points++;
    else if (!e.down && cur) {
      cur.end = e.t;
      out.push(cur);
      cur = null;
    }
  }
  if (cur) out.push({ ...cur, openEnded: true });
  return out;
}

async function eventsAround(c: Conn, o: Outage): Promise<string[]> {
  const rows = await c.all<{ t: number; what: string }>(
    `SELECT epoch(ts)::BIGINT AS t, 'tunnel log: ' || coalesce(details, event) AS what FROM vpn_events
     WHERE vpn_id = $v AND tunnel_ip = $ip AND ts BETWEEN to_timestamp($a) AND to_timestamp($z) AND coalesce(event, '') NOT IN ('negotiation', 'rekey')
     UNION ALL
     SELECT epoch(ts)::BIGINT, 'BGP ' || status || coalesce(': ' || details, '') FROM bgp_events
     WHERE vpn_id = $v AND tunnel_ip = $ip AND type = 'BGPStatus' AND ts BETWEEN to_timestamp($a) AND to_timestamp($z)
     ORDER BY 1 LIMIT 200`,
    { v: o.vpnId, ip: o.tunnelIp, a: o.start - 600, z: o.end + 600 },
  );
  // Repeated messages (IKE retries every minute or two) are shown once with a count.
  const seen = new Map<string, { t: number; n: number }>();
  for (const r of rows) {
    const s = seen.get(r.what);
    if (s) s.n++;
    else seen.set(r.what, { t: r.t, n: 1 });
  }
  return [...seen.entries()].slice(0, 6).map(([what, s]) => `${fmtTime(s.t).slice(11, 19)} ${what}${s.n > 1 ? ` (×${s.n})` : ''}`);
}

export const detectTunnelDown: Detector = async (ctx: DetectorContext) => {
  const { outages, covered } = await metricOutages(ctx.conn);
  outages.push(...(await logOutages(ctx.conn, covered)));
  const activity = await tunnelActivity(ctx.conn);
  const out: Draft[] = [];
  for (const o of outages) {
    const carried = activity.some((x) => x.vpnId === o.vpnId && x.tunnelIp === o.tunnelIp && x.bucket >= o.start - 3600 && x.bucket < o.start && (x.inActive || x.outActive));
    const label = tunnelLabel(ctx, o.vpnId, o.tunnelIp);
    const siblings = outages.filter((x) => x.vpnId === o.vpnId && x.tunnelIp !== o.tunnelIp);
    const knownSiblings = new Set(ctx.tunnels.filter((t) => t.vpnId === o.vpnId && t.tunnelIp !== o.tunnelIp).map((t) => t.tunnelIp));
    const allDown = knownSiblings.size > 0 && [...knownSiblings].every((ip) => siblings.some((s) => s.tunnelIp === ip && s.start < o.end && s.end > o.start));
    const events = await eventsAround(ctx.conn, o);
    const severity = o.wholeSpan ? 'info' : allDown || carried ? 'critical' : 'warning';
    const mins = Math.round((o.end - o.start) / 60);
    const how = o.from === 'metric' ? `TunnelState was below 1 in ${plural(o.points, 'data point')}` : 'the tunnel log reported it down';
    const redundancy =
      (carried ? ' It was carrying traffic when it failed, so flows on it were cut and had to fail over.' : ' It carried no traffic in the hour before (standby tunnel).') +
      (knownSiblings.size === 0 ? '' : allDown ? ` The other tunnel of ${o.vpnId} was down at the same time, so the VPN had no path.` : ` The other tunnel of ${o.vpnId} stayed up, so traffic could fail over to it.`);
    const summary = o.wholeSpan
      ? `${label} was down for the whole period the data covers (${how}); it is probably an unused or standby tunnel. ${events.length ? `Log lines: ${events.join('; ')}.` : ''}`.trim()
      : `${label} was down ${windowText(o.start, o.end)}${o.openEnded ? ', and had not recovered when the data ends' : ''}; ${how}.` +
        `${events.length ? ` Around it: ${listText(events, 6)}.` : ''}${redundancy}`;
    out.push({
      kind: 'tunnel-down',
      severity,
      title: `${label} down${o.wholeSpan ? ' throughout' : ` for ${plural(mins, 'minute')}`}`,
      summary,
      start: o.start,
      end: o.end,
      subject: { vpn_id: o.vpnId, tunnel_ip: o.tunnelIp },
      stats: { minutes: mins, source: o.from, dataPoints: o.points, bothTunnelsDown: allDown ? 1 : 0, carriedTraffic: carried ? 1 : 0, recovered: o.openEnded ? 'no' : 'yes' },
      evidence:
        o.from === 'metric'
          ? {
              table: 'metric_points',
              sql: `SELECT * FROM metric_points\nWHERE metric = 'TunnelState' AND vpn_id = ${lit(o.vpnId)} AND tunnel_ip = ${lit(o.tunnelIp)} AND value < 1\n  AND ts >= to_timestamp(${o.start}) AND ts < to_timestamp(${o.end})\nORDER BY ts`,
            }
          : {
              table: 'vpn_events',
              sql: `SELECT * FROM vpn_events\nWHERE vpn_id = ${lit(o.vpnId)} AND tunnel_ip = ${lit(o.tunnelIp)}\n  AND ts BETWEEN to_timestamp(${o.start - 600}) AND to_timestamp(${o.end + 600})\nORDER BY ts`,
            },
    });
  }
  return out;
};
