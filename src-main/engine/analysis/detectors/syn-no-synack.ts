/**
 * syn-no-synack: connection attempts to one server:port that got no SYN-ACK anywhere we can see,
 * far above that service's own baseline. Names the initiating side (client prefix), the ports and
 * where the SYNs were logged, so the engineer knows up to which hop the attempt travelled.
 */
import { qa, qo } from '../sql/query.ts';
import { cap, lit, plural } from '../util.ts';
import { attachText, burstDetail, conversationBursts, flowEvidenceSql, listText, serviceText, windowText, serviceSubject } from './common.ts';
import type { Detector, Draft } from './types.ts';

const WHERE = "state = 'syn-no-synack'";

export const detectSynNoSynAck: Detector = async (ctx) => {
  const out: Draft[] = [];
  for (const b of await conversationBursts(ctx, WHERE, { minTotal: 3 })) {
    const d = await burstDetail(ctx.conn, b, WHERE);
    const svc = serviceText(b.server, b.serverPort, b.protocol);
    const viaVpn = d.vpnFwd.length > 0;
    const ports = { lo: d.clientPorts[0], hi: d.clientPorts[1] };
    const seenAt = d.captureFwd.filter((c) => !d.attachFwd.includes(c));
    const summary =
      `${cap(windowText(d.start, d.end))}, ${plural(d.count, 'TCP connection attempt')} from ${d.clientPrefix ?? 'various clients'} ` +
      `(source ports ${ports?.lo ?? '?'}-${ports?.hi ?? '?'}) to ${svc} sent SYNs that were never answered with a SYN-ACK. ` +
      `The SYNs were logged at ${listText(seenAt)}${d.attachFwd.length ? `${seenAt.length ? ' and' : ''} on Transit Gateway attachment ${attachText(ctx, d.attachFwd)}` : ''}` +
      `${viaVpn ? `, so they came in over ${listText(d.vpnFwd)}` : ''}; no reply was logged at any capture point. ` +
      `Either the server (or its host firewall) is not answering, or the SYNs are lost after the last hop that logged them.`;
    out.push({
      kind: 'syn-no-synack',
      severity: b.chronic || d.count < 5 ? 'info' : 'warning',
      title: `${plural(d.count, 'unanswered SYN')} to ${svc} from ${d.clientPrefix ?? 'various clients'}`,
      summary,
      start: d.start,
      end: d.end,
      subject: serviceSubject(b, d.clientPrefix, {
        ...(d.vpnFwd[0] ? { vpn_id: d.vpnFwd[0] } : {}),
        ...(d.attachFwd[0] ? { attachment_id: d.attachFwd[0] } : {}),
      }),
      stats: {
        conversations: d.count,
        clients: d.clients.length,
        capturePoints: d.captureFwd.join(' '),
        peakPer5Min: b.peakPerBucket,
        baselinePer5Min: b.baseline.level,
        threshold: Math.round(b.baseline.threshold * 10) / 10,
      },
      evidence: {
        // TGW flow logs always carry tcp-flags; a default-format VPC log does not.
        table: d.attachFwd.length ? 'tgw_flows' : 'vpc_flows',
        sql: flowEvidenceSql(
          d.attachFwd.length ? 'tgw_flows' : 'vpc_flows',
          b.server, b.serverPort, b.protocol, d.start, d.end, `\n  AND (tcp_flags IS NULL OR tcp_flags & 18 = 2) AND srcaddr <> ${lit(b.server)}`,
        ),
      },
    });
  }
  return out;
};
