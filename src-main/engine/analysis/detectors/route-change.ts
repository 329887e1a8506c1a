/**
 * route-change: a BGP route on a tunnel changed (withdrawn, re-advertised, AS path or MED changed),
 * from the tunnel BGP log's RouteStatus records. An ADVERTISED record in the first INITIAL_S of the
 * data is the initial table, not a change; UPDATED/WITHDRAWN always are.
 */
import { fmtTime, lit } from '../util.ts';
import { loadRouteEvents, loadSessionEvents, type BgpRouteEvent } from '../bgp.ts';
import { tunnelLabel } from './common.ts';
import type { Detector, Draft } from './types.ts';

/** Advertisements this long after a tunnel's first BGP record are news, not the initial table. */
const INITIAL_S = 600;

const describe = (e: BgpRouteEvent | undefined, next?: BgpRouteEvent): string =>
  !e ? (next && next.status !== 'ADVERTISED' ? 'advertised (since before the BGP log starts)' : 'not advertised') : `${e.status.toLowerCase()}${e.asPath != null ? ` with AS path '${e.asPath}'` : ''}${e.med != null ? ` MED ${e.med}` : ''}${e.details ? ` (${e.details})` : ''}`;

export const detectRouteChanges: Detector = async (ctx) => {
  const events = await loadRouteEvents(ctx.conn);
  const sessions = await loadSessionEvents(ctx.conn);
  const firstSeen = new Map<string, number>();
  for (const e of events) {
    const k = `${e.vpnId}|${e.tunnelIp}`;
    if (!firstSeen.has(k)) firstSeen.set(k, e.t);
  }
  const prev = new Map<string, BgpRouteEvent>();
  const out: Draft[] = [];
  for (const e of events) {
    const key = `${e.vpnId}|${e.tunnelIp}|${e.prefix}`;
    const p = prev.get(key);
    prev.set(key, e);
    const logStart = Math.min(firstSeen.get(`${e.vpnId}|${e.tunnelIp}`) ?? e.t, ctx.span?.from ?? e.t);
    const initial = !p && e.status === 'ADVERTISED' && e.t - logStart < INITIAL_S;
    if (initial) continue;
    if (p && p.status === e.status && p.asPath === e.asPath && p.med === e.med && p.details === e.details) continue;
    const withdrawn = e.status === 'WITHDRAWN' || /DENIED/i.test(e.details ?? '');
    const sessionDown = sessions.some((s) => !s.up && s.vpnId === e.vpnId && s.tunnelIp === e.tunnelIp && Math.abs(s.t - e.t) <= 180);
    const label = tunnelLabel(ctx, e.vpnId, e.tunnelIp);
    const what =
      p && e.status !== 'WITHDRAWN' && p.status !== 'WITHDRAWN' && p.asPathLen !== e.asPathLen
        ? `AS path length ${p.asPathLen ?? '?'} → ${e.asPathLen ?? '?'}`
        : p && p.med !== e.med && e.status !== 'WITHDRAWN'
          ? `MED ${p.med ?? '-'} → ${e.med ?? '-'}`
          : e.status.toLowerCase();
    out.push({
      kind: 'route-change',
      severity: withdrawn && !sessionDown ? 'warning' : 'info',
      title: `${e.prefix} on ${label}: ${what}`,
      summary:
        `At ${fmtTime(e.t)} the route to ${e.prefix} learned over ${label} went from ${describe(p, e)} to ${describe(e)}.` +
        (sessionDown ? ' The BGP session on this tunnel went down at the same time, so this is part of the tunnel outage.' : '') +
        (withdrawn && !sessionDown ? ' The session stayed up, so the customer gateway stopped advertising it (or AWS denied it); traffic to this prefix now uses the other tunnel, if it still has the route.' : '') +
        (!withdrawn && p && p.asPathLen !== e.asPathLen ? ' A different AS path length changes which tunnel AWS prefers, and equal lengths on both tunnels enable ECMP on a Transit Gateway.' : ''),
      start: e.t,
      end: e.t,
      subject: { vpn_id: e.vpnId, tunnel_ip: e.tunnelIp, dst_addr: e.prefix },
      stats: { status: e.status, asPath: e.asPath, asPathLength: e.asPathLen, med: e.med, previousAsPath: p?.asPath ?? null, previousMed: p?.med ?? null, previousStatus: p?.status ?? null },
      evidence: {
        table: 'bgp_events',
        sql: `SELECT * FROM bgp_events\nWHERE type = 'RouteStatus' AND vpn_id = ${lit(e.vpnId)} AND prefix = ${lit(e.prefix)}\n  AND ts BETWEEN to_timestamp(${e.t - 3600}) AND to_timestamp(${e.t + 60})\nORDER BY ts DESC`,
      },
    });
  }
  return out;
};
