/**
 * reject-burst: conversations to one server:port rejected far above that service's own baseline.
 * Which direction was rejected tells security group from network ACL: a security group is
 * stateful, so it judges the request (inbound REJECT on the request); a network ACL is stateless,
 * so a request can be accepted and its response rejected on the way back.
 */
import { qa, qo } from '../sql/query.ts';
import { cap, lit, plural, protoName } from '../util.ts';
import { burstDetail, conversationBursts, flowEvidenceSql, listText, serviceText, windowText, serviceSubject } from './common.ts';
import type { Detector, Draft } from './types.ts';

const WHERE = 'rejects_fwd + rejects_rev > 0';

export const detectRejectBursts: Detector = async (ctx) => {
  const out: Draft[] = [];
  const bursts = await conversationBursts(ctx, WHERE, { minTotal: 5 });
  if (bursts.length === 0) return out;
  // Accepted conversations to the rejected services, in one scan: was the service working before?
  await ctx.conn.run(
    `CREATE OR REPLACE TEMP TABLE reject_services_ok AS
     SELECT server, server_port, protocol, first_seen FROM conversations
     WHERE rejects_fwd + rejects_rev = 0 AND state IN ('completed', 'established', 'no-tcp')
       AND server IN (SELECT DISTINCT server FROM ${bursts[0]!.table})`,
  );
  for (const b of bursts) {
    const d = await burstDetail(ctx.conn, b, WHERE);
    const p = { s: b.server, p: b.serverPort, pr: b.protocol, a: d.start, z: d.end };
    const sides = await qo<{ req: number; resp: number; recs: number }>(ctx.conn, 
      `SELECT count(*) FILTER (WHERE rejects_fwd > 0) AS req, count(*) FILTER (WHERE rejects_fwd = 0 AND rejects_rev > 0) AS resp,
         sum(rejects_fwd + rejects_rev) AS recs
       FROM ${b.table} WHERE ${WHERE} AND server = $s AND server_port IS NOT DISTINCT FROM $p AND protocol = $pr
         AND first_seen >= $a AND first_seen <= $z`,
      p,
    );
    const before = await qo<{ ok: number }>(ctx.conn, 
      `SELECT count(*) AS ok FROM reject_services_ok WHERE server = $s AND server_port IS NOT DISTINCT FROM $p AND protocol = $pr
         AND first_seen >= $a - 3600 AND first_seen < $a`,
      p,
    );
    const cps = await qa<{ cp: string; n: number }>(ctx.conn, 
      `SELECT interface_id AS cp, count(*) AS n FROM vpc_flows
       WHERE action = 'REJECT' AND protocol = $pr AND start_time BETWEEN $a - 60 AND $z + 60
         AND ((coalesce(pkt_dstaddr, dstaddr) = $s AND dstport IS NOT DISTINCT FROM coalesce($p, dstport))
           OR (coalesce(pkt_srcaddr, srcaddr) = $s AND srcport IS NOT DISTINCT FROM coalesce($p, srcport)))
       GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      p,
    );
    const req = Number(sides?.req ?? 0);
    const resp = Number(sides?.resp ?? 0);
    const responseSide = resp > req;
    const svc = serviceText(b.server, b.serverPort, b.protocol);
    const from = d.clientPrefix ?? 'various sources';
    const okBefore = Number(before?.ok ?? 0);
    const cause = responseSide
      ? `The requests were accepted but the responses from ${svc} were rejected on their way back, which is the signature of a network ACL (stateless: the return traffic, usually to ephemeral ports 1024-65535, needs its own rule).`
      : `The requests themselves were rejected inbound, which is what a security group does (stateful: it judges the request; replies need no rule). A network ACL inbound deny looks the same, so check both, starting with the security group of ${cps[0]?.cp ?? 'the server ENI'}.`;
    const summary =
      `${cap(windowText(d.start, d.end))}, ${plural(d.count, `${protoName(b.protocol)} connection`)} from ${from} to ${svc} were rejected ` +
      `(${plural(Number(sides?.recs ?? 0), 'REJECT record')}, at ${listText(cps.map((c) => c.cp))}). ${cause}` +
      (okBefore > 0 ? ` In the hour before, ${plural(okBefore, 'connection')} to this service were accepted, so something changed at ${new Date(d.start * 1000).toISOString().slice(11, 16)} UTC.` : '');
    out.push({
      kind: 'reject-burst',
      severity: !b.chronic && (okBefore > 0 || d.count >= 30) ? 'warning' : 'info',
      title: `${plural(d.count, 'rejected connection')} to ${svc}${responseSide ? ' (responses rejected: network ACL)' : ' (requests rejected: security group)'}`,
      summary,
      start: d.start,
      end: d.end,
      subject: serviceSubject(b, d.clientPrefix, cps[0] ? { interface_id: cps[0].cp } : {}),
      stats: {
        conversations: d.count,
        rejectRecords: Number(sides?.recs ?? 0),
        requestsRejected: req,
        responsesRejected: resp,
        likelyCause: responseSide ? 'network-acl' : 'security-group',
        acceptedHourBefore: okBefore,
        peakPer5Min: b.peakPerBucket,
        baselinePer5Min: b.baseline.level,
        threshold: Math.round(b.baseline.threshold * 10) / 10,
      },
      evidence: { table: 'vpc_flows', sql: flowEvidenceSql('vpc_flows', b.server, b.serverPort, b.protocol, d.start, d.end, `\n  AND action = ${lit('REJECT')}`) },
    });
  }
  return out;
};
