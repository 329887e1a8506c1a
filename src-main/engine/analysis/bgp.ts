/** BGP routes as the tunnel BGP logs describe them, replayed to any instant. */
import type { Conn } from '../db/index.ts';

export interface BgpRouteEvent {
  vpnId: string;
  tunnelIp: string;
  prefix: string;
  status: string;
  asPath: string | null;
  asPathLen: number | null;
  med: number | null;
  t: number;
  details: string | null;
  sourceId: number;
  line: number;
}

export async function loadRouteEvents(c: Conn, vpnId?: string): Promise<BgpRouteEvent[]> {
  return c.all<BgpRouteEvent>(
    `SELECT vpn_id AS "vpnId", tunnel_ip AS "tunnelIp", prefix, status, as_path AS "asPath",
       coalesce(as_path_len, CASE WHEN as_path IS NULL THEN NULL WHEN trim(as_path) = '' THEN 0 ELSE len(string_split(trim(as_path), ' ')) END) AS "asPathLen",
       med, epoch(ts)::BIGINT AS t, details, source_id AS "sourceId", line
     FROM bgp_events
     WHERE type = 'RouteStatus' AND prefix IS NOT NULL AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
       AND ($v::VARCHAR IS NULL OR vpn_id = $v)
     ORDER BY ts, source_id, line`,
    { v: vpnId ?? null },
  );
}

/** Session state changes (BGPStatus UP/DOWN) per tunnel, in time order. */
export async function loadSessionEvents(c: Conn, vpnId?: string): Promise<{ vpnId: string; tunnelIp: string; up: boolean; t: number }[]> {
  return c.all(
    `SELECT vpn_id AS "vpnId", tunnel_ip AS "tunnelIp", status = 'UP' AS up, epoch(ts)::BIGINT AS t
     FROM bgp_events WHERE type = 'BGPStatus' AND status IN ('UP', 'DOWN') AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
       AND ($v::VARCHAR IS NULL OR vpn_id = $v)
     ORDER BY ts, source_id, line`,
    { v: vpnId ?? null },
  );
}

/** A route is usable when its last RouteStatus is ADVERTISED/UPDATED without a DENIED note. */
export const usable = (e: BgpRouteEvent): boolean => (e.status === 'ADVERTISED' || e.status === 'UPDATED') && !/DENIED/i.test(e.details ?? '');

/** Latest event per (tunnel, prefix) at or before `at`, dropping routes of sessions that went down after it. */
export function routesAt(
  events: BgpRouteEvent[],
  sessions: { vpnId: string; tunnelIp: string; up: boolean; t: number }[],
  at: number,
): Map<string, BgpRouteEvent> {
  const state = new Map<string, BgpRouteEvent>();
  for (const e of events) {
    if (e.t > at) break;
    state.set(`${e.vpnId}|${e.tunnelIp}|${e.prefix}`, e);
  }
  const lastDown = new Map<string, number>();
  for (const s of sessions) {
    if (s.t > at) break;
    const k = `${s.vpnId}|${s.tunnelIp}`;
    if (!s.up) lastDown.set(k, s.t);
    else lastDown.delete(k);
  }
  for (const [k, e] of state) {
    const d = lastDown.get(`${e.vpnId}|${e.tunnelIp}`);
    if (d !== undefined && d >= e.t) state.delete(k);
  }
  return state;
}

/** Tunnels of one VPN that carry `prefix` with the shortest AS path at `at` (ECMP candidates). */
export function equalBest(state: Map<string, BgpRouteEvent>, vpnId: string, prefix: string): { best: BgpRouteEvent[]; all: BgpRouteEvent[] } {
  const all = [...state.values()].filter((e) => e.vpnId === vpnId && e.prefix === prefix && usable(e));
  const min = Math.min(...all.map((e) => e.asPathLen ?? 0));
  return { best: all.filter((e) => (e.asPathLen ?? 0) === min), all };
}
