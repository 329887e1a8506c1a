/**
 * ecmp-active: AWS sends on more than one tunnel of a VPN at once. Seen in TunnelDataOut (two or
 * more tunnels active in the same 5-minute bucket, see tunnel-activity.ts) or, without metrics, in the BGP log (the same prefix with the same AS-path length on
 * two tunnels of a TGW VPN with VpnEcmpSupport enabled). Names the BGP route change that made the
 * paths equal, when the BGP log has one.
 */
import type { Conn } from '../../db/index.ts';
import { equalBest, loadRouteEvents, loadSessionEvents, routesAt, usable, type BgpRouteEvent } from '../bgp.ts';
import { fmtTime, lit, plural } from '../util.ts';
import { listText, tunnelLabel, windowText } from './common.ts';
import type { Detector, DetectorContext, Draft } from './types.ts';
import { BUCKET, tunnelActivity, type TunnelBucket } from './tunnel-activity.ts';


export async function vpnEcmpSupport(c: Conn): Promise<Map<string, string>> {
  const rows = await c.all<{ id: string; v: string | null }>(
    `SELECT coalesce(object_id, json_extract_string(data, '$.TransitGatewayId')) AS id, json_extract_string(data, '$.Options.VpnEcmpSupport') AS v
     FROM config_objects WHERE kind = 'transit_gateway'`,
  );
  return new Map(rows.filter((r) => r.id && r.v).map((r) => [r.id, r.v!]));
}

/** Runs of 5-minute buckets where ≥ 2 tunnels of a VPN carry outbound traffic (see tunnel-activity.ts). */
export async function ecmpWindows(c: Conn): Promise<{ vpnId: string; start: number; end: number; tunnels: string[]; shares: Record<string, number> }[]> {
  const act = await tunnelActivity(c);
  const byVpn = new Map<string, Map<number, TunnelBucket[]>>();
  for (const r of act) {
    const v = byVpn.get(r.vpnId) ?? new Map<number, TunnelBucket[]>();
    byVpn.set(r.vpnId, v);
    const l = v.get(r.bucket) ?? [];
    l.push(r);
    v.set(r.bucket, l);
  }
  const out: { vpnId: string; start: number; end: number; tunnels: string[]; shares: Record<string, number> }[] = [];
  for (const [vpnId, buckets] of byVpn) {
    let cur: { start: number; end: number; sums: Map<string, number>; ips: Set<string> } | null = null;
    const flush = () => {
      if (!cur) return;
      const total = [...cur.sums.values()].reduce((x, y) => x + y, 0) || 1;
      const shares: Record<string, number> = {};
      for (const [ip, v] of cur.sums) shares[ip] = Math.round((v / total) * 1000) / 1000;
      out.push({ vpnId, start: cur.start, end: cur.end, tunnels: [...cur.ips].sort(), shares });
      cur = null;
    };
    for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
      const m = buckets.get(b)!;
      const activeIps = m.filter((x) => x.outActive).map((x) => x.tunnelIp);
      if (activeIps.length >= 2) {
        if (!cur || b > cur.end + BUCKET) {
          flush();
          cur = { start: b, end: b + BUCKET, sums: new Map(), ips: new Set() };
        }
        cur.end = b + BUCKET;
        for (const x of m) cur.sums.set(x.tunnelIp, (cur.sums.get(x.tunnelIp) ?? 0) + x.bytesOut);
        for (const ip of activeIps) cur.ips.add(ip);
      } else if (cur && b > cur.end + BUCKET) flush();
    }
    flush();
  }
  return out;
}

/** The latest RouteStatus event at or before `t` after which some prefix had equal-length best paths on ≥ 2 tunnels. */
export function equalizingChange(events: BgpRouteEvent[], sessions: Parameters<typeof routesAt>[1], vpnId: string, t: number): { event: BgpRouteEvent; before: BgpRouteEvent | undefined; tunnels: string[] } | null {
  let found: { event: BgpRouteEvent; before: BgpRouteEvent | undefined; tunnels: string[] } | null = null;
  const mine = events.filter((e) => e.vpnId === vpnId);
  for (let i = 0; i < mine.length; i++) {
    const e = mine[i]!;
    if (e.t > t) break;
    const after = equalBest(routesAt(mine, sessions, e.t), vpnId, e.prefix);
    const beforeState = routesAt(mine.slice(0, i), sessions, e.t - 1);
    const before = equalBest(beforeState, vpnId, e.prefix);
    if (after.best.length >= 2 && before.best.length < 2 && usable(e)) {
      found = { event: e, before: beforeState.get(`${e.vpnId}|${e.tunnelIp}|${e.prefix}`), tunnels: after.best.map((x) => x.tunnelIp) };
    }
  }
  return found;
}

export const detectEcmpActive: Detector = async (ctx: DetectorContext) => {
  const out: Draft[] = [];
  const events = await loadRouteEvents(ctx.conn);
  const sessions = await loadSessionEvents(ctx.conn);
  const ecmpCfg = await vpnEcmpSupport(ctx.conn);
  const cfgText = ecmpCfg.size ? ` VpnEcmpSupport is ${[...new Set(ecmpCfg.values())].join('/')} on ${listText([...ecmpCfg.keys()])}.` : '';
  const windows = await ecmpWindows(ctx.conn);
  const firstMetric = await ctx.conn.one<{ t: number | null }>("SELECT epoch(min(ts))::BIGINT AS t FROM metric_points WHERE metric = 'TunnelDataOut'");
  for (const w of windows) {
    const cause = equalizingChange(events, sessions, w.vpnId, w.start + BUCKET);
    const fromStart = firstMetric?.t != null && w.start <= firstMetric.t;
    const shares = w.tunnels.map((ip) => `${tunnelLabel(ctx, w.vpnId, ip)} ${((w.shares[ip] ?? 0) * 100).toFixed((w.shares[ip] ?? 0) < 0.1 ? 1 : 0)}%`);
    // The log may hold only the change (the other tunnel's route predates it): then name the last
    // advertisement on this VPN just before ECMP began as the likely trigger.
    const near = cause
      ? null
      : [...events].reverse().find((e) => e.vpnId === w.vpnId && usable(e) && e.t <= w.start + BUCKET && e.t >= w.start - 1800 && w.tunnels.includes(e.tunnelIp));
    const causeText = near
      ? ` It follows the BGP change at ${fmtTime(near.t)}: ${tunnelLabel(ctx, w.vpnId, near.tunnelIp)} ${near.status.toLowerCase()} ${near.prefix} with AS path '${near.asPath ?? ''}' (length ${near.asPathLen ?? '?'}${near.med != null ? `, MED ${near.med}` : ''}). ` +
        `The other tunnel's path predates the BGP log, but the Transit Gateway only spreads flows over tunnels whose AS paths are equally long, so this update made them equal.`
      : cause
      ? ` It follows the BGP change at ${fmtTime(cause.event.t)}: ${tunnelLabel(ctx, w.vpnId, cause.event.tunnelIp)} ${cause.event.status.toLowerCase()} ${cause.event.prefix} with AS path '${cause.event.asPath ?? ''}' (length ${cause.event.asPathLen ?? '?'}` +
        `${cause.before ? `, was '${cause.before.asPath ?? ''}'` : ''}), making it equal to the other tunnel's path, so the Transit Gateway spreads flows over both tunnels.`
      : '';
    out.push({
      kind: 'ecmp-active',
      severity: 'info',
      title: `ECMP ${fromStart ? 'active' : 'became active'} on ${w.vpnId}: AWS sends on ${plural(w.tunnels.length, 'tunnel')}`,
      summary:
        `${windowText(w.start, w.end).replace(/^f/, 'F')}, AWS sent traffic to the customer gateway over ${plural(w.tunnels.length, 'tunnel')} of ${w.vpnId} at once (share of TunnelDataOut bytes: ${shares.join(', ')}; a tunnel counts once it carries more than keepalives).` +
        `${causeText}${cfgText} With ECMP, the return path of a flow can differ from its forward path; the customer gateway must accept asymmetric traffic (no stateful check across tunnels).`,
      start: w.start,
      end: w.end,
      subject: { vpn_id: w.vpnId, ...(cause ? { dst_addr: cause.event.prefix } : near ? { dst_addr: near.prefix } : {}) },
      stats: { tunnels: w.tunnels.join(' '), ...Object.fromEntries(w.tunnels.map((ip) => [`share ${ip}`, w.shares[ip] ?? 0])), bgpChangeAt: cause ? fmtTime(cause.event.t) : near ? fmtTime(near.t) : null, bgpPrefix: cause?.event.prefix ?? near?.prefix ?? null },
      evidence: {
        table: 'metric_points',
        sql: `SELECT * FROM metric_points\nWHERE metric = 'TunnelDataOut' AND vpn_id = ${lit(w.vpnId)}\n  AND ts BETWEEN to_timestamp(${w.start}) AND to_timestamp(${w.end})\nORDER BY ts, tunnel_ip`,
      },
    });
  }
  // Without TunnelDataOut metrics, the BGP log alone shows equal paths on a TGW VPN.
  const withMetrics = new Set(windows.map((w) => w.vpnId));
  const vpns = [...new Set(events.map((e) => e.vpnId))].filter((v) => !withMetrics.has(v));
  const tgwOf = new Map((await ctx.conn.all<{ vpn_id: string; tgw: string | null }>('SELECT vpn_id, any_value(transit_gateway_id) AS tgw FROM vpn_tunnels GROUP BY 1')).map((r) => [r.vpn_id, r.tgw]));
  for (const vpnId of vpns) {
    const tgw = tgwOf.get(vpnId);
    if (!tgw || ecmpCfg.get(tgw) !== 'enable') continue;
    const mine = events.filter((e) => e.vpnId === vpnId);
    let open: { start: number; cause: BgpRouteEvent; prefix: string; tunnels: string[] } | null = null;
    const emit = (end: number) => {
      if (!open) return;
      out.push({
        kind: 'ecmp-active',
        severity: 'info',
        title: `ECMP possible on ${vpnId}: ${open.prefix} has equal AS paths on ${plural(open.tunnels.length, 'tunnel')}`,
        summary:
          `From ${fmtTime(open.start)} the BGP log shows ${open.prefix} on ${listText(open.tunnels.map((ip) => tunnelLabel(ctx, vpnId, ip)))} with the same AS-path length (after ${tunnelLabel(ctx, vpnId, open.cause.tunnelIp)} ${open.cause.status.toLowerCase()} it with AS path '${open.cause.asPath ?? ''}'), and ${tgw} has VpnEcmpSupport enabled, so the Transit Gateway spreads flows to this prefix over those tunnels. No TunnelDataOut metrics are loaded to confirm it.`,
        start: open.start,
        end,
        subject: { vpn_id: vpnId, dst_addr: open.prefix },
        stats: { tunnels: open.tunnels.join(' '), source: 'bgp-log' },
        evidence: { table: 'bgp_events', sql: `SELECT * FROM bgp_events\nWHERE type = 'RouteStatus' AND vpn_id = ${lit(vpnId)} AND prefix = ${lit(open.prefix)}\nORDER BY ts` },
      });
      open = null;
    };
    for (const e of mine) {
      const { best } = equalBest(routesAt(mine, sessions, e.t), vpnId, e.prefix);
      if (best.length >= 2 && !open) open = { start: e.t, cause: e, prefix: e.prefix, tunnels: best.map((b) => b.tunnelIp) };
      else if (best.length < 2 && open && open.prefix === e.prefix) emit(e.t);
    }
    if (open) emit(Math.max(ctx.span?.to ?? 0, (open as { start: number }).start));
  }
  return out;
};
