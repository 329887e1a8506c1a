/**
 * Route decision explainer: for a prefix (or address) and a moment, which routes exist and which one
 * AWS uses, step by step, following the documented evaluation order (docs/aws-formats.md §g):
 *  VPC table: longest prefix → local → static over propagated.
 *  VGW: Direct Connect → VPN static → VPN BGP → shortest AS path → lowest MED; one tunnel only, no ECMP.
 *  TGW table: longest prefix → static → prefix-list → VPC-propagated → DX-propagated → Connect → VPN-propagated;
 *  within a VPN attachment: shortest AS path → ECMP when VpnEcmpSupport=enable and AS-path lengths tie → else lowest MED.
 */
import type { Db } from '../db/index.ts';
import type { RouteCandidate, RouteExplanation } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { loadRouteEvents, loadSessionEvents, routesAt, usable, type BgpRouteEvent } from './bgp.ts';
import { vpnEcmpSupport } from './detectors/ecmp-active.ts';
import { cidrCovers, fmtTime, isoS, parseCidr } from './util.ts';

interface RouteRow {
  table_kind: string;
  table_id: string | null;
  destination: string;
  target_type: string | null;
  target_id: string | null;
  route_type: string | null;
  origin: string | null;
  state: string | null;
}

const plen = (cidr: string) => Number(cidr.split('/')[1] ?? (cidr.includes(':') ? 128 : 32));

/** TGW preference rank of a route (lower wins), from its type and the attachment's resource type. */
function tgwRank(r: RouteRow, resType: string | undefined): { rank: number; name: string } {
  if ((r.route_type ?? '').toLowerCase() === 'static') return { rank: 0, name: 'static' };
  if (r.origin && /prefix/i.test(r.origin)) return { rank: 1, name: 'prefix-list reference' };
  switch (resType) {
    case 'vpc':
      return { rank: 2, name: 'VPC-propagated' };
    case 'direct-connect-gateway':
      return { rank: 3, name: 'Direct Connect-propagated' };
    case 'connect':
      return { rank: 4, name: 'Connect-propagated' };
    case 'vpn':
      return { rank: 5, name: 'VPN-propagated' };
    default:
      return { rank: 6, name: `${resType ?? 'other'}-propagated` };
  }
}

function vpcRank(r: RouteRow): { rank: number; name: string } {
  if (r.route_type === 'local' || r.target_id === 'local') return { rank: 0, name: 'local' };
  if (r.route_type === 'propagated' || r.origin === 'EnableVgwRoutePropagation') return { rank: 2, name: 'propagated' };
  return { rank: 1, name: 'static' };
}

export async function explainRoutes(db: Db, prefix: string, at?: string): Promise<RouteExplanation> {
  const p = prefix.includes('/') ? prefix : `${prefix}/${prefix.includes(':') ? 128 : 32}`;
  if (!parseCidr(p) && !p.includes(':')) throw new AppError('bad-argument', `'${prefix}' is not an IP address or CIDR prefix (e.g. 10.20.0.0/16).`);
  return db.use(async (c) => {
    const atS = at ? Math.floor(Date.parse(at) / 1000) : Number((await c.one<{ t: number | null }>('SELECT epoch(max(ts))::BIGINT AS t FROM bgp_events'))?.t ?? Math.floor(Date.now() / 1000));
    const routes = (await c.all<RouteRow>('SELECT table_kind, table_id, destination, target_type, target_id, route_type, origin, state FROM routes WHERE destination IS NOT NULL')).filter(
      (r) => cidrCovers(r.destination, p),
    );
    const atts = new Map((await c.all<{ attachment_id: string; resource_type: string; resource_id: string }>('SELECT attachment_id, resource_type, resource_id FROM tgw_attachments')).map((a) => [a.attachment_id, a]));
    const tunnels = await c.all<{ vpn_id: string; tunnel_ip: string; transit_gateway_id: string | null; vpn_gateway_id: string | null; static_routes_only: boolean | null; tunnel_index: number | null; accepted_route_count: number | null }>(
      'SELECT vpn_id, tunnel_ip, transit_gateway_id, vpn_gateway_id, static_routes_only, tunnel_index, accepted_route_count FROM vpn_tunnels ORDER BY vpn_id, tunnel_index',
    );
    const ecmpCfg = await vpnEcmpSupport(c);
    const events = await loadRouteEvents(c);
    const sessions = await loadSessionEvents(c);
    const bgp = [...routesAt(events, sessions, atS).values()].filter((e) => cidrCovers(e.prefix, p));
    const steps: string[] = [];
    const candidates: RouteCandidate[] = [];
    let ecmp = { applies: false, reason: 'No VPN routes with BGP paths for this prefix were found, so ECMP does not apply.' };
    const tunnelName = (vpn: string, ip: string) => {
      const t = tunnels.find((x) => x.vpn_id === vpn && x.tunnel_ip === ip);
      return `${vpn} tunnel ${t?.tunnel_index ?? '?'} (${ip})`;
    };

    // Per-VPN choice among tunnels from the BGP log: static > BGP, shortest AS path, ECMP or lowest MED.
    const chooseTunnels = (vpnId: string, onTgw: boolean, tgwId: string | null, tableLabel: string, parentChosen: boolean) => {
      const mine = bgp.filter((e) => e.vpnId === vpnId);
      const staticVpn = routes.filter((r) => r.table_kind === 'vpn-static' && r.table_id === vpnId);
      for (const s of staticVpn) {
        candidates.push({ source: 'vpn-static', table: `${vpnId} static routes`, destination: s.destination, target: vpnId, vpnId, state: s.state ?? 'available', chosen: parentChosen, reason: 'VPN static route: preferred over BGP routes of the VPN.' });
      }
      if (staticVpn.length) {
        steps.push(`${vpnId} has static route(s) for ${p}; static VPNs pick one tunnel at random and do not support ECMP.`);
        ecmp = { applies: false, reason: `${vpnId} uses static routing; ECMP needs BGP.` };
        return;
      }
      // Tunnels that are up per the config but have no RouteStatus record yet: their routes were
      // advertised before the log starts, so they exist with attributes we cannot see.
      const silent = tunnels.filter(
        (t) => t.vpn_id === vpnId && t.static_routes_only !== true && (t.accepted_route_count ?? 0) > 0 && !mine.some((e) => e.tunnelIp === t.tunnel_ip),
      );
      for (const t of silent) {
        candidates.push({ source: 'bgp', table: `${vpnId} BGP (from configuration)`, destination: p, target: tunnelName(vpnId, t.tunnel_ip), vpnId, tunnelIp: t.tunnel_ip, state: 'assumed', chosen: false,
          reason: `The configuration says this tunnel accepted ${t.accepted_route_count} BGP route(s), but the BGP log has no record of them before ${fmtTime(atS)} (advertised before the log starts): AS path and MED unknown.` });
      }
      if (silent.length) steps.push(`${silent.map((t) => tunnelName(vpnId, t.tunnel_ip)).join(' and ')}: BGP routes exist per the configuration but their AS path/MED are not in the log, so the comparison below is incomplete.`);
      if (mine.length === 0) {
        steps.push(`The BGP log has no route for ${p} on ${vpnId} at ${fmtTime(atS)}.`);
        return;
      }
      const live = mine.filter(usable);
      const longest = Math.max(...live.map((e) => plen(e.prefix)));
      const lp = live.filter((e) => plen(e.prefix) === longest);
      const minLen = Math.min(...lp.map((e) => e.asPathLen ?? 0));
      const shortest = lp.filter((e) => (e.asPathLen ?? 0) === minLen);
      const ecmpOn = onTgw && tgwId ? ecmpCfg.get(tgwId) === 'enable' : false;
      let chosen: BgpRouteEvent[];
      if (shortest.length >= 2 && ecmpOn) {
        chosen = shortest;
        ecmp = { applies: true, reason: `VpnEcmpSupport is enabled on ${tgwId} and ${shortest.length} tunnels advertise ${lp[0]!.prefix} with the same AS-path length (${minLen}); the TGW hashes flows across them.` };
        steps.push(`Within ${vpnId}: ${shortest.length} tunnels tie on AS-path length ${minLen} and ECMP is enabled, so traffic is spread across ${shortest.map((e) => tunnelName(vpnId, e.tunnelIp)).join(' and ')} (MED is not compared).`);
      } else {
        const minMed = Math.min(...shortest.map((e) => e.med ?? 0));
        chosen = shortest.filter((e) => (e.med ?? 0) === minMed).slice(0, 1);
        if (shortest.length < lp.length) steps.push(`Within ${vpnId}: shortest AS path wins (length ${minLen}).`);
        if (shortest.length >= 2) steps.push(`AS-path lengths tie; ${onTgw ? `ECMP is ${tgwId && ecmpCfg.has(tgwId) ? `'${ecmpCfg.get(tgwId)}'` : 'not known to be enabled'} on ${tgwId ?? 'the TGW'}` : 'a VGW never uses ECMP'}, so the lowest MED (${minMed}) decides.`);
        ecmp = shortest.length >= 2
          ? { applies: false, reason: onTgw ? `AS-path lengths tie but VpnEcmpSupport is not enabled${tgwId ? ` on ${tgwId}` : ''}.` : 'A virtual private gateway uses one tunnel for egress; ECMP is not supported.' }
          : silent.length
            ? { applies: false, reason: `Cannot tell from the log alone: ${silent.map((t) => tunnelName(vpnId, t.tunnel_ip)).join(' and ')} has routes whose AS path is not logged. If its AS-path length is also ${minLen}${ecmpOn ? `, ECMP applies (VpnEcmpSupport is enabled on ${tgwId})` : ', the lowest MED decides'}.` }
            : { applies: false, reason: `Only ${chosen[0] ? tunnelName(vpnId, chosen[0].tunnelIp) : 'one tunnel'} has the shortest AS path (${minLen}); unequal paths never use ECMP.` };
      }
      for (const e of mine) {
        const isChosen = parentChosen && chosen.includes(e);
        const why = !usable(e)
          ? `Not usable: ${e.status}${e.details ? ` (${e.details})` : ''}.`
          : plen(e.prefix) < longest
            ? 'Less specific than another BGP route.'
            : (e.asPathLen ?? 0) > minLen
              ? `Longer AS path (${e.asPathLen}) than ${minLen}.`
              : isChosen
                ? ecmp.applies ? 'Equal-cost path: used with ECMP.' : 'Shortest AS path and lowest MED: the preferred tunnel.'
                : parentChosen ? `Same AS-path length but higher MED (${e.med ?? 0}) or not picked.` : `Not used: ${tableLabel} prefers another route.`;
        candidates.push({ source: 'bgp', table: `${vpnId} BGP (tunnel log)`, destination: e.prefix, target: tunnelName(vpnId, e.tunnelIp), vpnId, tunnelIp: e.tunnelIp, ...(e.asPath != null ? { asPath: e.asPath } : {}), ...(e.asPathLen != null ? { asPathLength: e.asPathLen } : {}), ...(e.med != null ? { med: e.med } : {}), state: e.status.toLowerCase(), chosen: isChosen, reason: why });
      }
    };

    const tables = [...new Set(routes.filter((r) => r.table_kind !== 'vpn-static').map((r) => `${r.table_kind}|${r.table_id ?? ''}`))];
    const vpnsHandled = new Set<string>();
    for (const key of tables) {
      const [kind, tableId] = key.split('|') as [string, string];
      const rs = routes.filter((r) => r.table_kind === kind && (r.table_id ?? '') === tableId);
      const label = `${kind === 'tgw' ? 'TGW route table' : 'VPC route table'} ${tableId || '(unnamed)'}`;
      const longest = Math.max(...rs.map((r) => plen(r.destination)));
      const lp = rs.filter((r) => plen(r.destination) === longest);
      steps.push(`${label}: ${rs.length} route(s) cover ${p}; the longest prefix is /${longest}.`);
      const ranked = lp.map((r) => {
        const att = r.target_id ? atts.get(r.target_id) : undefined;
        return { r, att, ...(kind === 'tgw' ? tgwRank(r, att?.resource_type) : vpcRank(r)) };
      });
      const best = Math.min(...ranked.map((x) => x.rank));
      const winners = ranked.filter((x) => x.rank === best);
      if (lp.length > 1) steps.push(`${label}: among the /${longest} routes, ${winners[0]!.name} wins (${kind === 'tgw' ? 'static > prefix-list > VPC > Direct Connect > Connect > VPN propagated' : 'local > static > propagated'}).`);
      if (winners.some((w) => (w.r.state ?? '').toLowerCase() === 'blackhole')) steps.push(`${label}: the winning route is a blackhole; packets to ${p} are dropped (packets-lost-blackhole in TGW flow logs).`);
      for (const r of rs) {
        const w = winners.find((x) => x.r === r);
        const att = r.target_id ? atts.get(r.target_id) : undefined;
        const vpnId = att?.resource_type === 'vpn' ? att.resource_id : undefined;
        candidates.push({
          source: r.route_type === 'local' ? 'local' : r.route_type === 'propagated' ? 'propagated' : 'static',
          table: label,
          destination: r.destination,
          target: `${r.target_id ?? r.target_type ?? '?'}${vpnId ? ` (${vpnId})` : ''}`,
          ...(vpnId ? { vpnId } : {}),
          state: r.state ?? 'active',
          chosen: !!w,
          reason: w ? (winners.length > 1 ? `Equal ${w.name} routes to several attachments.` : `Longest prefix, ${w.name}.`) : plen(r.destination) < longest ? `Less specific than /${longest}.` : `A ${ranked.find((x) => x.r === r)?.name} route loses to ${winners[0]!.name}.`,
        });
        if (vpnId && !vpnsHandled.has(vpnId)) {
          vpnsHandled.add(vpnId);
          const t = tunnels.find((x) => x.vpn_id === vpnId);
          chooseTunnels(vpnId, true, t?.transit_gateway_id ?? null, label, !!w);
        }
        if (r.target_id?.startsWith('vgw-') && w) {
          const vpns = [...new Set(tunnels.filter((t) => t.vpn_gateway_id === r.target_id).map((t) => t.vpn_id))];
          steps.push(`The route points at ${r.target_id}; inside the VGW the order is Direct Connect, then VPN static, then VPN BGP (shortest AS path, then lowest MED), and only one tunnel carries egress.`);
          for (const v of vpns) if (!vpnsHandled.has(v)) (vpnsHandled.add(v), chooseTunnels(v, false, null, label, true));
        }
      }
    }
    // BGP-only view when no route snapshot names the VPN (logs without config).
    for (const vpnId of [...new Set(bgp.map((e) => e.vpnId))]) {
      if (vpnsHandled.has(vpnId)) continue;
      const t = tunnels.find((x) => x.vpn_id === vpnId);
      const onTgw = t ? !!t.transit_gateway_id : [...atts.values()].some((a) => a.resource_id === vpnId);
      steps.push(`No route table snapshot covers ${p} through ${vpnId}; judging from its BGP log${t ? ` (attached to ${t.transit_gateway_id ?? t.vpn_gateway_id ?? 'an unknown gateway'})` : ''}.`);
      chooseTunnels(vpnId, onTgw, t?.transit_gateway_id ?? null, 'BGP', true);
      vpnsHandled.add(vpnId);
    }
    if (candidates.length === 0) steps.push(`No route snapshot and no BGP log entry covers ${p}${at ? ` at ${fmtTime(atS)}` : ''}. Import describe-route-tables / search-transit-gateway-routes output or the tunnel BGP logs.`);
    return { prefix: p, at: isoS(atS), candidates, steps, ecmp };
  });
}
