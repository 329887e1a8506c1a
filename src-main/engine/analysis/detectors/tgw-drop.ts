/**
 * tgw-drop: packets the Transit Gateway dropped (packets-lost-no-route / -blackhole /
 * -mtu-exceeded / -ttl-expired in TGW flow logs), per attachment and reason, far above that
 * series' baseline. Names the affected destination prefix and, when route snapshots exist, the
 * TGW route that matched it.
 */
import { qa, qo } from '../sql/query.ts';
import { cap, cidrContains, coverPrefix, dense, bursts, lit, plural, widen } from '../util.ts';
import { attachText, DETECT_BUCKET_S, listText, windowText } from './common.ts';
import type { Detector, Draft } from './types.ts';

const REASONS = [
  { col: 'lost_no_route', raw: 'packets_lost_no_route', name: 'no-route', text: 'no route in the TGW route table matched the destination' },
  { col: 'lost_blackhole', raw: 'packets_lost_blackhole', name: 'blackhole', text: 'the destination matched a blackhole route' },
  { col: 'lost_mtu', raw: 'packets_lost_mtu_exceeded', name: 'mtu-exceeded', text: 'packets were larger than the attachment MTU (1500 bytes on VPN attachments, 8500 otherwise)' },
  { col: 'lost_ttl', raw: 'packets_lost_ttl_expired', name: 'ttl-expired', text: 'the TTL expired (a routing loop is the usual cause)' },
] as const;

export const detectTgwDrops: Detector = async (ctx) => {
  if (!ctx.span) return [];
  const out: Draft[] = [];
  const from = ctx.span.from - (ctx.span.from % DETECT_BUCKET_S);
  const routes = await qa<{ destination: string; state: string; target_id: string | null; table_id: string | null; route_type: string | null }>(ctx.conn, 
    "SELECT destination, state, target_id, table_id, route_type FROM routes WHERE table_kind = 'tgw' AND destination IS NOT NULL",
  );
  for (const r of REASONS) {
    const rows = await qa<{ attachment: string; bucket: number; v: number }>(ctx.conn, 
      `SELECT attachment, bucket - bucket % ${DETECT_BUCKET_S} AS bucket, sum(${r.col}) AS v
       FROM rollup_flows WHERE tbl = 'tgw_flows' AND ${r.col} > 0 GROUP BY ALL`,
    );
    const byAtt = new Map<string, { bucket: number; v: number }[]>();
    for (const x of rows) {
      const g = byAtt.get(x.attachment) ?? [];
      g.push(x);
      byAtt.set(x.attachment, g);
    }
    for (const [att, g] of byAtt) {
      const { runs, baseline } = bursts(dense(g, from, ctx.span.to, DETECT_BUCKET_S), { floor: 5 });
      for (const run of runs) {
        if (run.total < 10) continue;
        const a = from + run.i0 * DETECT_BUCKET_S;
        const z = from + (run.i1 + 1) * DETECT_BUCKET_S;
        const p = { att, a, z };
        const span = await qo<{ t0: number; t1: number; lost: number; pair: string[] }>(ctx.conn, 
          `SELECT min(start_time) AS t0, max(end_time) AS t1, sum(${r.raw}) AS lost, list_sort(list(DISTINCT tgw_pair_attachment_id) FILTER (WHERE tgw_pair_attachment_id IS NOT NULL)) AS pair
           FROM tgw_flows WHERE tgw_attachment_id = $att AND ${r.raw} > 0 AND start_time >= $a AND start_time < $z`,
          p,
        );
        const dsts = await qa<{ d: string; n: number }>(ctx.conn, 
          `SELECT dstaddr AS d, sum(${r.raw}) AS n FROM tgw_flows
           WHERE tgw_attachment_id = $att AND ${r.raw} > 0 AND start_time >= $a AND start_time < $z GROUP BY 1 ORDER BY 2 DESC LIMIT 2000`,
          p,
        );
        const srcs = await qa<{ s: string }>(ctx.conn, 
          `SELECT DISTINCT srcaddr AS s FROM tgw_flows WHERE tgw_attachment_id = $att AND ${r.raw} > 0 AND start_time >= $a AND start_time < $z LIMIT 2000`,
          p,
        );
        const top = dsts[0]?.d;
        const matched = top
          ? routes
              .filter((rt) => cidrContains(rt.destination, top))
              .sort((x, y) => Number(y.destination.split('/')[1] ?? 32) - Number(x.destination.split('/')[1] ?? 32))[0]
          : undefined;
        // The affected prefix: the matching blackhole route when the snapshot still has it, else the
        // destinations' covering prefix, widened to at least a /24 (route entries rarely are longer).
        const dstPrefix =
          (matched && (matched.state ?? '').toLowerCase() === r.name ? matched.destination : widen(coverPrefix(dsts.map((x) => x.d)))) ?? 'unknown destinations';
        const t0 = Number(span?.t0 ?? a);
        const t1 = Number(span?.t1 ?? z);
        const lost = Number(span?.lost ?? run.total);
        const routeText = !matched
          ? ''
          : (matched.state ?? '').toLowerCase() === 'blackhole'
            ? ` The route snapshot has ${matched.destination} as a blackhole route${matched.table_id ? ` in ${matched.table_id}` : ''}: remove it or point it at an attachment.`
            : ` The route snapshot (taken later) shows ${matched.destination} → ${matched.target_id ?? 'no target'} (${matched.state}) for these destinations, so the ${r.name} condition was fixed before the snapshot.`;
        out.push({
          kind: 'tgw-drop',
          severity: (r.name === 'blackhole' || r.name === 'no-route') && lost >= 100 ? 'critical' : 'warning',
          title: `Transit Gateway dropped ${plural(lost, 'packet')} to ${dstPrefix} (${r.name})`,
          summary:
            `${cap(windowText(t0, t1))}, the Transit Gateway dropped ${plural(lost, 'packet')} entering on ${attachText(ctx, [att])} ` +
            `towards ${dstPrefix}${dsts.length > 1 ? ` (${plural(dsts.length, 'destination')}, most to ${top})` : ''} from ${coverPrefix(srcs.map((s) => s.s)) ?? 'various sources'}: ${r.text}.${routeText}` +
            `${span?.pair?.length ? ` Pair attachment: ${listText(span.pair)}.` : ''}`,
          start: t0,
          end: t1,
          subject: {
            attachment_id: att,
            ...(top ? { dst_addr: dstPrefix } : {}),
            ...(ctx.vpnOfAttachment.has(att) ? { vpn_id: ctx.vpnOfAttachment.get(att)! } : {}),
          },
          stats: { reason: r.name, packetsLost: lost, destinations: dsts.length, topDestination: top ?? null, route: matched ? `${matched.destination} ${matched.state}` : null, baselinePer5Min: baseline.level },
          evidence: {
            table: 'tgw_flows',
            sql: `SELECT * FROM tgw_flows\nWHERE tgw_attachment_id = ${lit(att)} AND ${r.raw} > 0\n  AND start_time BETWEEN ${t0} AND ${t1}\nORDER BY start_time, source_id, line`,
          },
        });
      }
    }
  }
  return out;
};
