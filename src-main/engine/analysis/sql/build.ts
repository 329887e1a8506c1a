/**
 * Bulk statements that rebuild the derived tables. Each runs once per analysis over all records;
 * no row ever passes through JavaScript. Parameters: $gap (pairing gap in seconds), $small (the
 * largest mean packet size, in bytes, that still counts as "handshake only, no data").
 */

/** Both flow tables as one shape: real endpoints (pkt-* when present), capture point, canonical key side. */
const normalized = /* sql */ `
  SELECT 'vpc_flows' AS tbl, source_id, line, interface_id AS cp, CAST(NULL AS VARCHAR) AS att,
    coalesce(pkt_srcaddr, srcaddr) AS s, coalesce(pkt_dstaddr, dstaddr) AS d,
    coalesce(srcport, 0) AS sp, coalesce(dstport, 0) AS dp, protocol AS p,
    coalesce(packets, 0) AS packets, coalesce(bytes, 0) AS bytes,
    start_time AS t0, coalesce(end_time, start_time) AS t1, action, tcp_flags AS f, CAST(NULL AS VARCHAR) AS fd
  FROM vpc_flows
  WHERE coalesce(log_status, 'OK') = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
    AND protocol IS NOT NULL AND start_time IS NOT NULL
  UNION ALL
  SELECT 'tgw_flows', source_id, line, tgw_attachment_id, tgw_attachment_id,
    srcaddr, dstaddr, coalesce(srcport, 0), coalesce(dstport, 0), protocol,
    coalesce(packets, 0), coalesce(bytes, 0), start_time, coalesce(end_time, start_time), NULL, tcp_flags, flow_direction
  FROM tgw_flows
  WHERE coalesce(log_status, 'OK') = 'OK' AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
    AND protocol IS NOT NULL AND start_time IS NOT NULL`;

const SCALAR_COLS = ['b', 'pk', 'f', 'fa', 'n', 'nrej', 't0', 't1'];
/** Bit-set columns per direction: capture points, TGW attachments, attachments entered (ingress), VPNs. */
const SETS = ['cp', 'at', 'ai', 'vp'] as const;
const words = (k: number) => Array.from({ length: k }, (_, w) => w);
const setCols = (k: number) => SETS.flatMap((set) => words(k).map((w) => `${set}${w}`));

/**
 * Names (capture points, attachments, VPN ids) get small integers (temp table conv_dict, filled by
 * run.ts); each direction's sets are kept as 64-bit masks, one per 64 names. list() aggregates over
 * millions of groups cannot spill and were most of the analysis' memory.
 */
export const createConvDict = /* sql */ `
CREATE OR REPLACE TEMP TABLE conv_dict AS
SELECT name, (row_number() OVER (ORDER BY name) - 1)::INTEGER AS i FROM (
  SELECT DISTINCT interface_id AS name FROM vpc_flows WHERE interface_id IS NOT NULL
  UNION SELECT DISTINCT tgw_attachment_id FROM tgw_flows WHERE tgw_attachment_id IS NOT NULL
  UNION SELECT DISTINCT resource_id FROM tgw_attachments WHERE resource_type = 'vpn' AND resource_id IS NOT NULL)`;

const bit = (i: string, w: number) => `CASE WHEN ${i} // 64 = ${w} THEN 1::UBIGINT << (${i} % 64) END`;
/** Mask columns of one set → the sorted list of names (conv_dict order is name order). */
const decode = (set: string, side: string, k: number) => decodeMask((w) => `${set}${w}_${side}`, k);
/** A mask per 64-name word (`mask(w)`, an expression) → the sorted list of names. */
const decodeMask = (mask: (w: number) => string, k: number) =>
  words(k).length === 1
    ? `CASE WHEN coalesce(${mask(0)}, 0) = 0 THEN [] ELSE list_filter(nm0, (x, j) -> (${mask(0)} >> (j - 1)) & 1 = 1) END`
    : `list_concat(${words(k).map((w) => `CASE WHEN coalesce(${mask(w)}, 0) = 0 THEN [] ELSE list_filter(nm${w}, (x, j) -> (${mask(w)} >> (j - 1)) & 1 = 1) END`).join(', ')})`;
/** Both directions' set: the union of the two masks. */
const both = (set: string) => (w: number) => `(coalesce(${set}${w}_fwd, 0) | coalesce(${set}${w}_rev, 0))`;

/** IPv4 text → UINTEGER (NULL for IPv6 or anything else), so CIDR filters compare integers. */
export const ipv4Num = (col: string) =>
  `(try_cast(split_part(${col}, '.', 1) AS UTINYINT)::UINTEGER * 16777216 + try_cast(split_part(${col}, '.', 2) AS UTINYINT)::UINTEGER * 65536
    + try_cast(split_part(${col}, '.', 3) AS UTINYINT)::UINTEGER * 256 + try_cast(split_part(${col}, '.', 4) AS UTINYINT)::UINTEGER)`;

function pick(col: string, as: string): string {
  return `CASE WHEN client_is_lo THEN ${col}_lh ELSE ${col}_hl END AS ${as}_fwd, CASE WHEN client_is_lo THEN ${col}_hl ELSE ${col}_lh END AS ${as}_rev`;
}

/**
 * Conversations. A record belongs to the conversation of its canonical 5-tuple (lower endpoint
 * first) until the tuple has been silent for more than $gap seconds after the latest end seen.
 * Per direction, bytes/packets are the MAX over capture points (the same packets are logged at
 * every hop), flags are OR-ed over every capture point.
 * Windows and groups run on a 64-bit hash of the 5-tuple (a collision between two tuples among
 * millions is ~1e-7 likely), carrying the tuple itself with any_value; this halves the sort cost.
 * VPNs (from tgw_attachments) and tunnels (from the temp table tunnel_dir, filled before) are
 * resolved here rather than by UPDATEs afterwards: an UPDATE of a list column rewrites rows
 * (delete + append), which costs memory and would break the first_seen order of the table.
 * Rows are written in first_seen order so that time-range filters skip row groups (zone maps).
 */
export const buildConversations = (k: number): string => {
  const DIR_COLS = [...SCALAR_COLS, ...setCols(k)];
  return /* sql */ `
INSERT INTO conversations
WITH nms AS (
  SELECT ${words(k).map((w) => `list(name ORDER BY i) FILTER (WHERE i // 64 = ${w}) AS nm${w}`).join(', ')} FROM conv_dict
), vatt AS (
  SELECT ta.attachment_id, ${words(k).map((w) => `bit_or(${bit('d.i', w)}) AS v${w}`).join(', ')}
  FROM tgw_attachments ta JOIN conv_dict d ON d.name = ta.resource_id
  WHERE ta.resource_type = 'vpn' GROUP BY ta.attachment_id
), va AS (
  SELECT ${words(k).map((w) => `coalesce(bit_or(${bit('d.i', w)}), 0) AS va${w}`).join(', ')}
  FROM conv_dict d WHERE d.name IN (SELECT attachment_id FROM tgw_attachments WHERE resource_type = 'vpn')
), n AS (
  SELECT *, (s < d OR (s = d AND sp <= dp)) AS fl FROM (${normalized})
), k AS (
  SELECT cp, att, packets, bytes, t0, t1, action, f, fd, p, fl,
    CASE WHEN fl THEN s ELSE d END AS lo, CASE WHEN fl THEN sp ELSE dp END AS lop,
    CASE WHEN fl THEN d ELSE s END AS hi, CASE WHEN fl THEN dp ELSE sp END AS hip
  FROM n
), kh AS (
  SELECT *, hash(p, lo, lop, hi, hip) AS h FROM k
), brk AS (
  SELECT *, CASE WHEN t0 > max(t1) OVER (PARTITION BY h ORDER BY t0, t1 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) + $gap
            THEN 1 ELSE 0 END AS brk
  FROM kh
), c AS (
  SELECT *, sum(brk) OVER (PARTITION BY h ORDER BY t0, t1 ROWS UNBOUNDED PRECEDING) AS seq FROM brk
), dcp AS (
  SELECT h, seq, fl, cp, any_value(att) AS att,
    any_value(p) AS p, any_value(lo) AS lo, any_value(lop) AS lop, any_value(hi) AS hi, any_value(hip) AS hip,
    sum(bytes) AS b, sum(packets) AS pk, bit_or(f) AS f,
    bit_or(f) FILTER (WHERE action IS DISTINCT FROM 'REJECT') AS fa,
    count(*) AS n, count(*) FILTER (WHERE action = 'REJECT') AS nrej,
    min(t0) AS t0, max(t1) AS t1, bool_or(fd = 'ingress') AS ing
  FROM c GROUP BY h, seq, fl, cp
), dd AS (
  SELECT h, seq, fl, any_value(p) AS p, any_value(lo) AS lo, any_value(lop) AS lop, any_value(hi) AS hi, any_value(hip) AS hip,
    max(b) AS b, max(pk) AS pk, bit_or(f) AS f, bit_or(fa) AS fa,
    sum(n) AS n, sum(nrej) AS nrej, min(t0) AS t0, max(t1) AS t1,
    ${words(k).map((w) => `bit_or(${bit('d.i', w)}) AS cp${w}, bit_or(${bit('d.i', w)}) FILTER (WHERE att IS NOT NULL) AS at${w},
    bit_or(${bit('d.i', w)}) FILTER (WHERE att IS NOT NULL AND ing) AS ai${w}, bit_or(vatt.v${w}) AS vp${w}`).join(',\n    ')}
  FROM dcp LEFT JOIN conv_dict d ON d.name = dcp.cp LEFT JOIN vatt ON vatt.attachment_id = dcp.att
  GROUP BY h, seq, fl
), cv AS (
  SELECT coalesce(x.p, y.p) AS p, coalesce(x.lo, y.lo) AS lo, coalesce(x.lop, y.lop) AS lop,
    coalesce(x.hi, y.hi) AS hi, coalesce(x.hip, y.hip) AS hip, coalesce(x.seq, y.seq) AS seq,
    ${DIR_COLS.map((c) => `x.${c} AS ${c}_lh, y.${c} AS ${c}_hl`).join(', ')}
  FROM (SELECT * FROM dd WHERE fl) x FULL OUTER JOIN (SELECT * FROM dd WHERE NOT fl) y ON x.h = y.h AND x.seq = y.seq
), who AS (
  SELECT *,
    CASE
      WHEN coalesce(f_lh, 0) & 18 = 2 AND coalesce(f_hl, 0) & 18 <> 2 THEN true
      WHEN coalesce(f_hl, 0) & 18 = 2 AND coalesce(f_lh, 0) & 18 <> 2 THEN false
      WHEN coalesce(f_hl, 0) & 18 = 18 AND coalesce(f_lh, 0) & 18 <> 18 THEN true
      WHEN coalesce(f_lh, 0) & 18 = 18 AND coalesce(f_hl, 0) & 18 <> 18 THEN false
      WHEN n_hl IS NULL THEN true
      WHEN n_lh IS NULL THEN false
      WHEN lop <> hip THEN lop > hip
      ELSE t0_lh <= t0_hl
    END AS client_is_lo
  FROM cv
), dir AS (
  SELECT p, lo, lop, hi, hip, seq, client_is_lo,
    least(t0_lh, t0_hl) AS first_seen, greatest(t1_lh, t1_hl) AS last_seen,
    ${DIR_COLS.map((x) => pick(x, x)).join(',\n    ')}
  FROM who
), st AS (
  SELECT *,
    coalesce(nrej_fwd, 0) + coalesce(nrej_rev, 0) AS nrej_all,
    coalesce(n_rev, 0) - coalesce(nrej_rev, 0) AS acc_rev,
    coalesce(f_fwd, 0) & 2 = 2 AS syn,
    coalesce(fa_rev, 0) & 18 = 18 AS synack,
    (coalesce(f_fwd, 0) | coalesce(f_rev, 0)) & 4 = 4 AS rst,
    (coalesce(f_fwd, 0) | coalesce(f_rev, 0)) & 1 = 1 AS fin,
    coalesce(b_fwd, 0) <= $small * coalesce(pk_fwd, 0) AND coalesce(b_rev, 0) <= $small * coalesce(pk_rev, 0) AS small,
    first_seen - first_seen % 300 AS b5,
    CASE WHEN ${words(k).map((w) => `coalesce(ai${w}_fwd, 0) & va${w} <> 0`).join(' OR ')} THEN 'in' ELSE 'out' END AS df,
    CASE WHEN ${words(k).map((w) => `coalesce(ai${w}_rev, 0) & va${w} <> 0`).join(' OR ')} THEN 'in' ELSE 'out' END AS dr,
    ${decode('vp', 'fwd', k)} AS vpn_fwd, ${decode('vp', 'rev', k)} AS vpn_rev
  FROM dir, nms, va
), fin AS (
SELECT
  substr(md5(concat_ws('|', p, lo, lop, hi, hip, first_seen)), 1, 16) AS conv_id,
  p, lo, lop, hi, hip, seq,
  CASE WHEN client_is_lo THEN lo ELSE hi END AS client, CASE WHEN client_is_lo THEN lop ELSE hip END AS client_port,
  CASE WHEN client_is_lo THEN hi ELSE lo END AS server, CASE WHEN client_is_lo THEN hip ELSE lop END AS server_port,
  client_is_lo,
  CASE
    WHEN nrej_all > 0 AND acc_rev = 0 THEN 'rejected'
    WHEN p <> 6 THEN 'no-tcp'
    WHEN f_fwd IS NULL AND f_rev IS NULL THEN CASE WHEN n_fwd > 0 AND n_rev > 0 THEN 'established' ELSE 'unknown' END
    WHEN syn AND synack AND NOT fin AND NOT rst AND small THEN 'half-open'
    WHEN syn AND synack AND rst AND NOT fin THEN 'reset'
    WHEN syn AND synack THEN 'completed'
    WHEN syn AND rst THEN 'reset'
    WHEN syn AND acc_rev > 0 AND NOT small THEN 'established'
    WHEN syn THEN 'syn-no-synack'
    WHEN rst THEN 'reset'
    WHEN n_fwd > 0 AND n_rev > 0 THEN 'established'
    ELSE 'unknown'
  END AS state,
  first_seen, last_seen,
  coalesce(b_fwd, 0) AS bytes_fwd, coalesce(b_rev, 0) AS bytes_rev, coalesce(pk_fwd, 0) AS packets_fwd, coalesce(pk_rev, 0) AS packets_rev,
  f_fwd AS flags_fwd, f_rev AS flags_rev, coalesce(n_fwd, 0) AS records_fwd, coalesce(n_rev, 0) AS records_rev,
  coalesce(nrej_fwd, 0) AS rejects_fwd, coalesce(nrej_rev, 0) AS rejects_rev,
  CASE WHEN nrej_all = 0 THEN 'ACCEPT'
       WHEN nrej_all = coalesce(n_fwd, 0) + coalesce(n_rev, 0) THEN 'REJECT' ELSE 'MIXED' END AS action,
  ${['fwd', 'rev'].flatMap((side) => ['cp', 'at', 'ai'].flatMap((set) => words(k).map((w) => `${set}${w}_${side}`))).join(', ')},
  coalesce(vpn_fwd, []) AS vpn_fwd, coalesce(vpn_rev, []) AS vpn_rev,
  tf.tunnel_ip AS tunnel_fwd, tr.tunnel_ip AS tunnel_rev
FROM st
  LEFT JOIN tunnel_dir tf ON tf.vpn_id = st.vpn_fwd[1] AND tf.bucket = st.b5 AND tf.dir = st.df
  LEFT JOIN tunnel_dir tr ON tr.vpn_id = st.vpn_rev[1] AND tr.bucket = st.b5 AND tr.dir = st.dr
)
-- Sorted while the sets are still integer masks (cheaper to sort than lists of names), decoded after;
-- the projection keeps the sorted order for the INSERT.
SELECT conv_id, p, lo, lop, hi, hip, seq, client, client_port, server, server_port, client_is_lo, state, first_seen, last_seen,
  bytes_fwd, bytes_rev, packets_fwd, packets_rev, flags_fwd, flags_rev, records_fwd, records_rev, rejects_fwd, rejects_rev, action,
  ${decode('cp', 'fwd', k)}, ${decode('cp', 'rev', k)}, ${decode('at', 'fwd', k)}, ${decode('at', 'rev', k)},
  vpn_fwd, vpn_rev, ${decode('ai', 'fwd', k)}, ${decode('ai', 'rev', k)}, tunnel_fwd, tunnel_rev,
  ${ipv4Num('client')}, ${ipv4Num('server')},
  -- Display text (migration 004): what conversations.ts shows as capture points and path.
  array_to_string(${decodeMask(both('cp'), k)}, ' '),
  array_to_string(list_sort(list_distinct(list_concat(${decodeMask(both('at'), k)}, vpn_fwd, vpn_rev,
    CASE WHEN tunnel_fwd IS NULL THEN [] ELSE [tunnel_fwd] END, CASE WHEN tunnel_rev IS NULL THEN [] ELSE [tunnel_rev] END))), ' ')
FROM (SELECT * FROM fin ORDER BY first_seen) CROSS JOIN nms`;
};

/**
 * The tunnel of each direction over a VPN, where the metrics allow it: tunnel_dir holds, per VPN,
 * 5-minute bucket and direction ('in' = customer gateway → AWS, 'out' = AWS → customer gateway),
 * the one tunnel that carried traffic that way (filled by run.ts from tunnel-activity.ts). A
 * direction that entered the TGW on the VPN attachment came in from the customer gateway.
 */
export const createTunnelDir = 'CREATE OR REPLACE TEMP TABLE tunnel_dir (vpn_id VARCHAR, bucket BIGINT, dir VARCHAR, tunnel_ip VARCHAR)';

export const buildRollupFlows = /* sql */ `
INSERT INTO rollup_flows
SELECT start_time - start_time % 60, 'vpc_flows', interface_id, NULL, NULL, flow_direction, action,
  sum(bytes), sum(packets), count(*), 0, 0, 0, 0
FROM vpc_flows
WHERE coalesce(log_status, 'OK') = 'OK' AND start_time IS NOT NULL
GROUP BY ALL
UNION ALL
SELECT start_time - start_time % 60, 'tgw_flows', tgw_attachment_id, tgw_attachment_id, tgw_pair_attachment_id, flow_direction, NULL,
  sum(bytes), sum(packets), count(*),
  coalesce(sum(packets_lost_no_route), 0), coalesce(sum(packets_lost_blackhole), 0),
  coalesce(sum(packets_lost_mtu_exceeded), 0), coalesce(sum(packets_lost_ttl_expired), 0)
FROM tgw_flows
WHERE coalesce(log_status, 'OK') = 'OK' AND start_time IS NOT NULL
GROUP BY ALL`;

export const buildRollupLogStatus = /* sql */ `
INSERT INTO rollup_log_status
SELECT start_time - start_time % 60, 'vpc_flows', interface_id, log_status, count(*), max(end_time)
FROM vpc_flows WHERE log_status IN ('NODATA', 'SKIPDATA') AND start_time IS NOT NULL GROUP BY ALL
UNION ALL
SELECT start_time - start_time % 60, 'tgw_flows', tgw_attachment_id, log_status, count(*), max(end_time)
FROM tgw_flows WHERE log_status IN ('NODATA', 'SKIPDATA') AND start_time IS NOT NULL GROUP BY ALL`;

export const buildRollupConversations = /* sql */ `
INSERT INTO rollup_conversations
SELECT first_seen - first_seen % 60, state, protocol,
  CASE WHEN server_port < 32768 THEN server_port END, action,
  count(*), sum(bytes_fwd + bytes_rev)
FROM conversations GROUP BY ALL`;

export const clearDerived = [
  'DELETE FROM conversations',
  'DELETE FROM rollup_flows',
  'DELETE FROM rollup_conversations',
  'DELETE FROM rollup_log_status',
  'DELETE FROM findings',
];
