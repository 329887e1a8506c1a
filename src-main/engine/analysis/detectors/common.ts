/** Pieces several detectors share: conversation-state bursts, path descriptions, tunnel metrics. */
import { qa, qo } from '../sql/query.ts';
import type { Conn } from '../../db/index.ts';
import { coverPrefix, fmtTime, isoS, lit, plural, protoName, type Run } from '../util.ts';
import type { DetectorContext } from './types.ts';
import type { FindingSubject } from '../../../shared/domain.ts';

/** Detection bucket for conversation-based detectors: coarse enough to smooth 60 s lag and 600 s windows. */
export const DETECT_BUCKET_S = 300;

export interface StateBurst {
  /** Temp table with the conversations matching the detector's predicate (small; see subset()). */
  table: string;
  server: string;
  serverPort: number | null;
  protocol: number;
  start: number;
  end: number;
  conversations: number;
  peakPerBucket: number;
  /** The episode covers more than half of the data: a standing condition, not an event. */
  chronic: boolean;
  baseline: { level: number; spread: number; threshold: number };
}

/** Conversations in one episode are at most this far apart (seconds). */
export const EPISODE_GAP_S = 900;
/** An episode's rate must be this many times the series' rate outside it. */
export const EPISODE_RATIO = 10;

/**
 * Episodes of conversations to one server:port matching `where` (a fixed SQL predicate): 60 s
 * buckets with such conversations, chained while less than EPISODE_GAP_S apart. An episode
 * counts when it has at least minTotal conversations and its rate is EPISODE_RATIO times the
 * rate of the same series in the rest of the data; sporadic background never chains that far.
 */
/**
 * The conversations matching a detector's predicate, copied once into a temp table: they are few
 * (failed handshakes, rejects), so every per-episode query then scans thousands of rows, not millions.
 */
export async function subset(ctx: DetectorContext, where: string): Promise<string> {
  let name = ctx.subsets.get(where);
  if (!name) {
    name = `conv_subset_${ctx.subsets.size + 1}`;
    await ctx.conn.run(
      `CREATE OR REPLACE TEMP TABLE ${name} AS
       SELECT conv_id, protocol, client, client_port, server, server_port, state, first_seen, last_seen, packets_fwd,
         rejects_fwd, rejects_rev, capture_fwd, capture_rev, attach_fwd, attach_rev, vpn_fwd, vpn_rev
       FROM conversations WHERE ${where}`,
    );
    ctx.subsets.set(where, name);
  }
  return name;
}

export async function conversationBursts(
  ctx: DetectorContext,
  where: string,
  opts: { minTotal: number; floor?: number; k?: number; bridge?: number },
): Promise<StateBurst[]> {
  if (!ctx.span) return [];
  const table = await subset(ctx, where);
  const rows = await qa<{ server: string; server_port: number | null; protocol: number; bucket: number; v: number }>(ctx.conn, 
    `SELECT server, server_port, protocol, first_seen - first_seen % 60 AS bucket, count(*) AS v
     FROM ${table} GROUP BY ALL ORDER BY server, server_port, protocol, bucket`,
  );
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.server}|${r.server_port}|${r.protocol}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const spanS = Math.max(3600, ctx.span.to - ctx.span.from);
  const out: StateBurst[] = [];
  for (const g of groups.values()) {
    const total = g.reduce((s, r) => s + r.v, 0);
    const eps: { a: number; z: number; n: number; per5: Map<number, number> }[] = [];
    for (const r of g) {
      const last = eps[eps.length - 1];
      if (last && r.bucket - last.z <= EPISODE_GAP_S) {
        last.z = r.bucket + 60;
        last.n += r.v;
      } else eps.push({ a: r.bucket, z: r.bucket + 60, n: r.v, per5: new Map() });
      const e = eps[eps.length - 1]!;
      const b5 = r.bucket - (r.bucket % DETECT_BUCKET_S);
      e.per5.set(b5, (e.per5.get(b5) ?? 0) + r.v);
    }
    for (const e of eps) {
      if (e.n < opts.minTotal) continue;
      const dur = Math.max(DETECT_BUCKET_S, e.z - e.a);
      const outsideRate = (total - e.n) / Math.max(spanS - dur, DETECT_BUCKET_S);
      const rate = e.n / dur;
      if (rate < EPISODE_RATIO * outsideRate) continue;
      out.push({
        table,
        server: g[0]!.server,
        serverPort: g[0]!.server_port,
        protocol: g[0]!.protocol,
        start: e.a,
        end: e.z,
        conversations: e.n,
        peakPerBucket: Math.max(...e.per5.values()),
        chronic: dur > spanS / 2,
        baseline: {
          level: Math.round(outsideRate * DETECT_BUCKET_S * 100) / 100,
          spread: 0,
          threshold: Math.round(EPISODE_RATIO * outsideRate * DETECT_BUCKET_S * 100) / 100,
        },
      });
    }
  }
  return out;
}

export interface BurstDetail {
  start: number;
  end: number;
  clients: string[];
  clientPrefix: string | null;
  captureFwd: string[];
  captureRev: string[];
  attachFwd: string[];
  attachRev: string[];
  vpnFwd: string[];
  vpnRev: string[];
  count: number;
  clientPorts: [number, number];
  sample: string[];
}

/** What the conversations of a burst have in common: exact times, client prefix, paths per direction. */
export async function burstDetail(c: Conn, b: StateBurst, where: string): Promise<BurstDetail> {
  const p = { s: b.server, p: b.serverPort, pr: b.protocol, a: b.start, z: b.end };
  const cond = `${where} AND server = $s AND server_port IS NOT DISTINCT FROM $p AND protocol = $pr AND first_seen >= $a AND first_seen < $z`;
  // One scan of the (small) subset table per episode.
  const agg = await qo<Record<string, unknown>>(c, 
    `SELECT min(first_seen) AS t0, max(last_seen) AS t1, count(*) AS n,
       min(client_port) AS plo, max(client_port) AS phi,
       list_sort(list_distinct(flatten(list(capture_fwd)))) AS cf, list_sort(list_distinct(flatten(list(capture_rev)))) AS cr,
       list_sort(list_distinct(flatten(list(attach_fwd)))) AS af, list_sort(list_distinct(flatten(list(attach_rev)))) AS ar,
       list_sort(list_distinct(flatten(list(vpn_fwd)))) AS vf, list_sort(list_distinct(flatten(list(vpn_rev)))) AS vr,
       list_slice(list_sort(list_distinct(list(client))), 1, 2000) AS clients,
       list_slice(list(conv_id ORDER BY first_seen, conv_id), 1, 5) AS sample
     FROM ${b.table} WHERE ${cond}`,
    p,
  );
  const clients = (agg?.clients as string[] | undefined) ?? [];
  const sample = (agg?.sample as string[] | undefined) ?? [];
  const arr = (v: unknown) => (Array.isArray(v) ? (v as string[]) : []);
  return {
    start: Number(agg?.t0 ?? b.start),
    end: Number(agg?.t1 ?? b.end),
    count: Number(agg?.n ?? 0),
    clientPorts: [Number(agg?.plo ?? 0), Number(agg?.phi ?? 0)],
    clients,
    clientPrefix: coverPrefix(clients),
    captureFwd: arr(agg?.cf),
    captureRev: arr(agg?.cr),
    attachFwd: arr(agg?.af),
    attachRev: arr(agg?.ar),
    vpnFwd: arr(agg?.vf),
    vpnRev: arr(agg?.vr),
    sample,
  };
}

export function serviceText(server: string, port: number | null, protocol: number): string {
  return port == null || protocol === 1 || protocol === 58 ? `${server} (${protocol === 1 || protocol === 58 ? protoName(protocol) : 'high port'})` : `${server} ${protoName(protocol)} port ${port}`;
}

/** The subject of a finding about one service: server, port, protocol, client prefix, plus extras (VPN, attachment, ENI). */
export function serviceSubject(b: StateBurst, clientPrefix: string | null, extra: FindingSubject = {}): FindingSubject {
  return {
    dst_addr: b.server,
    ...(b.serverPort != null ? { dst_port: b.serverPort } : {}),
    protocol: b.protocol,
    ...(clientPrefix ? { src_cidr: clientPrefix } : {}),
    ...extra,
  };
}

export function windowText(a: number, b: number): string {
  const mins = Math.max(1, Math.round((b - a) / 60));
  return `from ${fmtTime(a)} to ${fmtTime(b)} (${plural(mins, 'minute')})`;
}

export function listText(xs: string[], max = 4): string {
  if (xs.length === 0) return 'none';
  return xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`;
}

/** Evidence query over both flow tables' raw rows for one service in a window. */
export function flowEvidenceSql(table: 'vpc_flows' | 'tgw_flows', server: string, port: number | null, protocol: number, a: number, z: number, extra = ''): string {
  const addrD = table === 'vpc_flows' ? 'coalesce(pkt_dstaddr, dstaddr)' : 'dstaddr';
  const addrS = table === 'vpc_flows' ? 'coalesce(pkt_srcaddr, srcaddr)' : 'srcaddr';
  const portD = port == null ? '' : ` AND dstport = ${lit(port)}`;
  const portS = port == null ? '' : ` AND srcport = ${lit(port)}`;
  return `SELECT * FROM ${table}
WHERE protocol = ${lit(protocol)}
  AND ((${addrD} = ${lit(server)}${portD}) OR (${addrS} = ${lit(server)}${portS}))
  AND start_time BETWEEN ${lit(a - 60)} AND ${lit(z + 60)}${extra}
ORDER BY start_time, source_id, line`;
}

/** Per-tunnel sums of TunnelDataIn / TunnelDataOut in [a, b). */
export async function tunnelTraffic(c: Conn, vpnId: string, a: number, b: number): Promise<{ tunnelIp: string; bytesIn: number; bytesOut: number }[]> {
  return qa(c, 
    `SELECT tunnel_ip AS "tunnelIp",
       coalesce(sum(value) FILTER (WHERE metric = 'TunnelDataIn'), 0) AS "bytesIn",
       coalesce(sum(value) FILTER (WHERE metric = 'TunnelDataOut'), 0) AS "bytesOut"
     FROM metric_points
     WHERE namespace = 'AWS/VPN' AND vpn_id = $v AND tunnel_ip IS NOT NULL AND metric IN ('TunnelDataIn', 'TunnelDataOut')
       AND ts >= to_timestamp($a) AND ts < to_timestamp($b)
     GROUP BY tunnel_ip ORDER BY tunnel_ip`,
    { v: vpnId, a, b },
  );
}

export function tunnelLabel(ctx: DetectorContext, vpnId: string, tunnelIp: string): string {
  return ctx.tunnels.find((t) => t.vpnId === vpnId && t.tunnelIp === tunnelIp)?.label ?? `${vpnId} tunnel ${tunnelIp}`;
}

export function attachText(ctx: DetectorContext, atts: string[]): string {
  return listText(atts.map((a) => (ctx.vpnOfAttachment.has(a) ? `${a} (${ctx.vpnOfAttachment.get(a)})` : a)));
}

export type { Run };
export { isoS };
