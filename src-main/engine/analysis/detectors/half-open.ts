/**
 * half-open: the server answered (SYN-ACK logged) but the client never completed the handshake:
 * repeated SYNs, no data, no FIN/RST. The SYN-ACK is lost after the last AWS hop that logged it,
 * which over a VPN usually means the return took another tunnel (see asymmetric-return).
 */
import { qa, qo } from '../sql/query.ts';
import { cap, plural } from '../util.ts';
import { attachText, burstDetail, conversationBursts, flowEvidenceSql, listText, serviceText, windowText, serviceSubject } from './common.ts';
import type { Detector, Draft } from './types.ts';

export const HALF_OPEN_WHERE = "state = 'half-open'";

export const detectHalfOpen: Detector = async (ctx) => {
  const out: Draft[] = [];
  for (const b of await conversationBursts(ctx, HALF_OPEN_WHERE, { minTotal: 3 })) {
    const d = await burstDetail(ctx.conn, b, HALF_OPEN_WHERE);
    const svc = serviceText(b.server, b.serverPort, b.protocol);
    const synStats = await qo<{ pk: number; n: number }>(ctx.conn, 
      `SELECT sum(packets_fwd) AS pk, count(*) AS n FROM ${b.table}
       WHERE ${HALF_OPEN_WHERE} AND server = $s AND server_port IS NOT DISTINCT FROM $p AND first_seen BETWEEN $a AND $z`,
      { s: b.server, p: b.serverPort, a: d.start, z: d.end },
    );
    const synsPer = synStats?.n ? Math.round((Number(synStats.pk) / Number(synStats.n)) * 10) / 10 : null;
    const retLeg = d.vpnRev.length
      ? ` The SYN-ACKs left AWS through ${attachText(ctx, d.attachRev)} towards ${listText(d.vpnRev)}; if the customer gateway received them on a different tunnel than the one the SYN came in on, a stateful firewall there drops them.`
      : d.attachRev.length
        ? ` The SYN-ACKs left through ${attachText(ctx, d.attachRev)}.`
        : '';
    out.push({
      kind: 'half-open',
      severity: b.chronic || d.count < 5 ? 'info' : 'warning',
      title: `${plural(d.count, 'half-open connection')} to ${svc}: SYN-ACK sent, handshake never completed`,
      summary:
        `${cap(windowText(d.start, d.end))}, ${plural(d.count, 'TCP connection')} from ${d.clientPrefix ?? 'various clients'} to ${svc} never completed: ` +
        `the server answered with SYN-ACK (logged at ${listText(d.captureRev)}) but the client kept retrying its SYN` +
        `${synsPer ? ` (${synsPer} SYN packets per connection on average)` : ''} and never sent data, so the SYN-ACKs did not reach it.${retLeg}`,
      start: d.start,
      end: d.end,
      subject: serviceSubject(b, d.clientPrefix, {
        ...(d.vpnRev[0] ? { vpn_id: d.vpnRev[0] } : {}),
        ...(d.attachRev[0] ? { attachment_id: d.attachRev[0] } : {}),
      }),
      stats: {
        conversations: d.count,
        clients: d.clients.length,
        synPacketsPerConversation: synsPer,
        returnCapturePoints: d.captureRev.join(' '),
        peakPer5Min: b.peakPerBucket,
        baselinePer5Min: b.baseline.level,
        threshold: Math.round(b.baseline.threshold * 10) / 10,
      },
      evidence: {
        table: d.attachRev.length ? 'tgw_flows' : 'vpc_flows',
        sql: flowEvidenceSql(d.attachRev.length ? 'tgw_flows' : 'vpc_flows', b.server, b.serverPort, b.protocol, d.start, d.end, '\n  AND (tcp_flags IS NULL OR tcp_flags & 2 = 2)'),
      },
    });
  }
  return out;
};
