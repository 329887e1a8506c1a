/**
 * asymmetric-return: handshakes that fail because the two directions of a flow used different
 * tunnels of a VPN. TGW flow logs name only the VPN attachment, never the tunnel, so the tunnel
 * is inferred from the per-tunnel metrics of the same minutes: the customer gateway sends on the
 * tunnel(s) with TunnelDataIn; if AWS also sends (TunnelDataOut) on a tunnel that carries no
 * inbound traffic (activity rules in tunnel-activity.ts), replies on that tunnel reach a gateway that never saw the request, and a
 * stateful firewall there drops them.
 *  - client on premises: SYN arrives on tunnel A, SYN-ACK leaves on tunnel B → half-open in AWS logs;
 *  - client in AWS: SYN leaves on tunnel B, the reply would come back on A → syn-no-synack in AWS logs.
 * Without metrics, BGP equal-cost paths (ECMP) during the failures are reported as the likely cause.
 */
import { qa, qo } from '../sql/query.ts';
import { equalBest, loadRouteEvents, loadSessionEvents, routesAt } from '../bgp.ts';
import { cap, coverPrefix, fmtTime, lit, plural } from '../util.ts';
import { burstDetail, conversationBursts, listText, serviceText, tunnelLabel, windowText } from './common.ts';
import { summarize, tunnelActivity } from './tunnel-activity.ts';
import type { Detector, Draft } from './types.ts';

const WHERE = "((state = 'half-open' AND len(vpn_rev) > 0) OR (state = 'syn-no-synack' AND len(vpn_fwd) > 0))";

const mb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(b >= 1e7 ? 0 : 1)} MB` : `${Math.round(b / 1024)} KB`);

interface Failing {
  vpnId: string;
  start: number;
  end: number;
  services: string[];
  conversations: number;
  halfOpen: number;
  synNoSynAck: number;
  clients: string[];
  attachments: string[];
  servers: { addr: string; port: number | null; protocol: number }[];
}

export const detectAsymmetricReturn: Detector = async (ctx) => {
  const out: Draft[] = [];
  const routeEvents = await loadRouteEvents(ctx.conn);
  const sessions = await loadSessionEvents(ctx.conn);
  const activity = await tunnelActivity(ctx.conn);
  // Failing handshakes per service, then merged per VPN into windows: one finding per VPN episode.
  const episodes: Failing[] = [];
  const bursts = (await conversationBursts(ctx, WHERE, { minTotal: 3 })).sort((a, b) => a.start - b.start);
  for (const b of bursts) {
    const d = await burstDetail(ctx.conn, b, WHERE);
    const mix = await qo<{ ho: number; sn: number }>(ctx.conn, 
      `SELECT count(*) FILTER (WHERE state = 'half-open') AS ho, count(*) FILTER (WHERE state = 'syn-no-synack') AS sn FROM ${b.table}
       WHERE ${WHERE} AND server = $s AND server_port IS NOT DISTINCT FROM $p AND first_seen BETWEEN $a AND $z`,
      { s: b.server, p: b.serverPort, a: d.start, z: d.end },
    );
    const ho = Number(mix?.ho ?? 0);
    const sn = Number(mix?.sn ?? 0);
    const vpnId = (ho >= sn ? d.vpnRev[0] : d.vpnFwd[0]) ?? d.vpnRev[0] ?? d.vpnFwd[0];
    if (!vpnId) continue;
    const svc = serviceText(b.server, b.serverPort, b.protocol);
    const ep = episodes.find((e) => e.vpnId === vpnId && d.start <= e.end + 600 && d.end >= e.start - 600);
    if (ep) {
      ep.start = Math.min(ep.start, d.start);
      ep.end = Math.max(ep.end, d.end);
      ep.services.push(svc);
      ep.conversations += d.count;
      ep.halfOpen += ho;
      ep.synNoSynAck += sn;
      ep.clients.push(...d.clients);
      ep.attachments.push(...d.attachFwd, ...d.attachRev);
      ep.servers.push({ addr: b.server, port: b.serverPort, protocol: b.protocol });
    } else {
      episodes.push({ vpnId, start: d.start, end: d.end, services: [svc], conversations: d.count, halfOpen: ho, synNoSynAck: sn, clients: [...d.clients], attachments: [...d.attachFwd, ...d.attachRev], servers: [{ addr: b.server, port: b.serverPort, protocol: b.protocol }] });
    }
  }
  for (const e of episodes) {
    const vpnId = e.vpnId;
    const traffic = summarize(activity, vpnId, e.start, e.end);
    const inT = traffic.filter((t) => t.inActive);
    const outOnly = traffic.filter((t) => t.outActive && !t.inActive);
    let tunnelIp: string | undefined;
    let why: string;
    let severity: Draft['severity'] = 'critical';
    if (inT.length > 0 && outOnly.length > 0) {
      tunnelIp = outOnly[0]!.tunnelIp;
      why =
        `The customer gateway sent only on ${listText(inT.map((t) => `${tunnelLabel(ctx, vpnId, t.tunnelIp)} (TunnelDataIn ${mb(t.bytesIn)})`))}, ` +
        `but AWS also sent on ${listText(outOnly.map((t) => `${tunnelLabel(ctx, vpnId, t.tunnelIp)} (TunnelDataOut ${mb(t.bytesOut)}, TunnelDataIn ${mb(t.bytesIn)})`))}. ` +
        `Replies AWS hashes onto ${tunnelIp} arrive at the customer gateway on a tunnel it does not route that traffic through, and its stateful firewall drops them: ` +
        `SYN-ACKs to on-premises clients are lost (half-open) and SYNs from AWS are answered on the other tunnel (no SYN-ACK seen).`;
    } else {
      const state = routesAt(routeEvents, sessions, e.start);
      const prefixes = [...new Set([...state.values()].filter((x) => x.vpnId === vpnId).map((x) => x.prefix))];
      const eq = prefixes.map((p) => ({ p, best: equalBest(state, vpnId, p).best })).find((x) => x.best.length >= 2);
      if (!eq) continue;
      severity = 'warning';
      why = `No per-tunnel metrics separate the tunnels here, but at ${fmtTime(e.start)} the BGP log shows ${eq.p} with equal AS-path length on ${listText(eq.best.map((x) => tunnelLabel(ctx, vpnId, x.tunnelIp)))}, so the Transit Gateway hashes flows over both tunnels (ECMP) and replies can take the tunnel the customer gateway does not expect.`;
    }
    const prefix = coverPrefix(e.clients);
    const atts = [...new Set(e.attachments)];
    out.push({
      kind: 'asymmetric-return',
      severity,
      title: `Asymmetric return over ${vpnId}${tunnelIp ? `: AWS also sends on ${tunnelLabel(ctx, vpnId, tunnelIp)}` : ''}; ${plural(e.conversations, 'handshake')} failing`,
      summary:
        `${cap(windowText(e.start, e.end))}, ${plural(e.conversations, 'TCP handshake')} over ${vpnId} failed (${plural(e.halfOpen, 'half-open')}, ${plural(e.synNoSynAck, 'SYN without SYN-ACK')}) ` +
        `for ${listText(e.services)}. ${why}` +
        ` Fix: let the customer gateway accept traffic for one flow on either tunnel (asymmetric routing), or make one tunnel clearly preferred again (AS-path prepend on the other).`,
      start: e.start,
      end: e.end,
      subject: { vpn_id: vpnId, ...(tunnelIp ? { tunnel_ip: tunnelIp } : {}), ...(e.servers.length === 1 ? { dst_addr: e.servers[0]!.addr, ...(e.servers[0]!.port != null ? { dst_port: e.servers[0]!.port } : {}) } : {}) },
      stats: {
        conversations: e.conversations,
        halfOpen: e.halfOpen,
        synNoSynAck: e.synNoSynAck,
        services: e.services.length,
        clientPrefix: prefix,
        ...Object.fromEntries(traffic.flatMap((t) => [[`in ${t.tunnelIp}`, t.bytesIn], [`out ${t.tunnelIp}`, t.bytesOut]])),
      },
      evidence: {
        table: 'tgw_flows',
        sql: `SELECT * FROM tgw_flows\nWHERE tgw_attachment_id IN (${atts.map(lit).join(', ') || "''"}) AND protocol = 6 AND tcp_flags & 2 = 2\n  AND (${e.servers.map((s) => `((dstaddr = ${lit(s.addr)}${s.port != null ? ` AND dstport = ${lit(s.port)}` : ''}) OR (srcaddr = ${lit(s.addr)}${s.port != null ? ` AND srcport = ${lit(s.port)}` : ''}))`).join(' OR ')})\n  AND start_time BETWEEN ${e.start - 60} AND ${e.end + 60}\nORDER BY start_time, source_id, line`,
      },
    });
  }
  return out;
};
