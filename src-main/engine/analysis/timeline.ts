/**
 * Timeline and replay snapshot. Reads only rollups, conversations-per-bucket, metric points and
 * events (all small); never the raw flow tables. Each source is drawn at its own granularity:
 * flow rollups at the chosen bucket (≥ 60 s), tunnel metrics at max(their period, bucket).
 */
import { qa, qo } from './sql/query.ts';
import type { Conn, Db } from '../db/index.ts';
import type { Band, FindingKind, FlowFilter, Series, Severity, Snapshot, TimelineEvent, TimelineQuery, TimelineResult } from '../../shared/domain.ts';
import { loadTunnels } from './run.ts';
import { conversationFilter, type SqlParams } from './sql/filters.ts';
import { only } from './util.ts';

export const BUCKET_SIZES = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const DEFAULT_MAX_BUCKETS = 600;

export function pickBucket(from: number, to: number, maxBuckets = DEFAULT_MAX_BUCKETS): number {
  const want = (to - from) / Math.max(1, maxBuckets);
  return BUCKET_SIZES.find((b) => b >= want) ?? BUCKET_SIZES[BUCKET_SIZES.length - 1]!;
}

/** Data span over everything the timeline can draw, in Unix seconds. */
export async function dataSpan(c: Conn): Promise<{ from: number; to: number } | null> {
  const r = await qo<{ a: number | null; z: number | null }>(c, `
    SELECT min(a) AS a, max(z) AS z FROM (
      SELECT min(bucket) AS a, max(bucket) + 60 AS z FROM rollup_flows
      UNION ALL SELECT epoch(min(ts))::BIGINT, epoch(max(ts))::BIGINT + 300 FROM metric_points
      UNION ALL SELECT epoch(min(ts))::BIGINT, epoch(max(ts))::BIGINT + 1 FROM vpn_events
      UNION ALL SELECT epoch(min(ts))::BIGINT, epoch(max(ts))::BIGINT + 1 FROM bgp_events)`);
  return r?.a != null && r.z != null ? { from: r.a, to: r.z } : null;
}

function bands(rows: { b: number; v: number }[], size: number): Band[] {
  return rows.map((r) => ({ t0: r.b * 1000, t1: (r.b + size) * 1000, v: Number(r.v) }));
}

function series(key: string, label: string, unit: Series['unit'], g: number, rows: { b: number; v: number }[]): Series {
  return { key, label, unit, granularitySeconds: g, bands: bands(rows, g) };
}

/**
 * A port filter the rollup can answer for its server side: rollup_conversations keeps server_port
 * below 32768 (with state, protocol and action) but no addresses, paths or capture points.
 */
function serverPortRollup(f: FlowFilter): boolean {
  return f.port !== undefined && Number.isInteger(f.port) && f.port >= 0 && f.port < 32768 && !f.cidr && !f.path && !f.capturePoint;
}

type Par = <T>(sql: string, p: SqlParams) => Promise<T[]>;

/** What the half-open and SYN-without-SYN-ACK lanes are drawn under: the filter without its action and state. */
const laneFilter = (f: FlowFilter, tunnelVpn: Map<string, string>) =>
  conversationFilter({ cidr: f.cidr, path: f.path, capturePoint: f.capturePoint, port: f.port, protocol: f.protocol }, tunnelVpn);

/**
 * Per bucket of first_seen: bytes of the conversations matching the whole filter, and half-open and
 * SYN-without-SYN-ACK counts of those matching it without its action and state (as the state lanes
 * are drawn). The branches are those of the filter without action and state, which adds no
 * alternatives; action and state become FILTER clauses of the bytes sum.
 */
function convBytesAndStates(par: Par, f: FlowFilter, tunnelVpn: Map<string, string>, base: SqlParams): Promise<{ b: number; v: number | null; ho: number; sns: number }[]> {
  const scope = laneFilter(f, tunnelVpn);
  const rest = conversationFilter({ action: f.action, state: f.state }, tunnelVpn);
  return par(
    `SELECT b, sum(v)::BIGINT AS v, sum(ho)::BIGINT AS ho, sum(sns)::BIGINT AS sns FROM (${scope.branches
      .map(
        (w) => `SELECT first_seen - first_seen % $g AS b, sum(bytes_fwd + bytes_rev) FILTER (WHERE ${rest.where}) AS v,
          count(*) FILTER (WHERE state = 'half-open') AS ho, count(*) FILTER (WHERE state = 'syn-no-synack') AS sns
        FROM conversations WHERE ${w} AND first_seen >= $a AND first_seen < $z GROUP BY 1`,
      )
      .join(' UNION ALL ')}) GROUP BY 1 ORDER BY 1`,
    { ...scope.params, ...rest.params, ...base },
  );
}

export async function queryTimeline(db: Db, q: TimelineQuery = {}): Promise<TimelineResult> {
  // The series are independent queries: each runs on its own connection, all at once (on a large
  // case the conversation-filtered ones are scans; in parallel the slowest sets the latency).
  const par = <T,>(sql: string, p: SqlParams) => db.use((cx) => qa<T>(cx, sql, p));
  return db.use(async (c) => {
    const span = (await dataSpan(c)) ?? { from: Math.floor(Date.now() / 1000) - 3600, to: Math.floor(Date.now() / 1000) };
    const from = q.from ? Math.floor(Date.parse(q.from) / 1000) : span.from;
    const to = q.to ? Math.ceil(Date.parse(q.to) / 1000) : span.to;
    const g = pickBucket(from, to, q.maxBuckets);
    const a = from - (from % g);
    const base: SqlParams = { a, z: to, g };
    const f = q.filter ?? {};
    const tunnels = await loadTunnels(c);
    const tunnelVpn = new Map(tunnels.map((t) => [t.tunnelIp, t.vpnId]));

    // Flow rollup filters (what the rollup can answer: capture point, attachment/VPN, action).
    const fp: SqlParams = { ...base };
    const fw: string[] = ['bucket >= $a', 'bucket < $z'];
    if (f.capturePoint) {
      fp.cp = f.capturePoint;
      fw.push('capture_point = $cp');
    }
    if (f.path) {
      const vpn = tunnelVpn.get(f.path) ?? f.path;
      const att = tunnels.find((t) => t.vpnId === vpn)?.attachmentId ?? null;
      fp.path = att ?? f.path;
      fw.push('(attachment = $path OR pair_attachment = $path)');
    }
    if (f.action) {
      fp.act = f.action;
      fw.push('action = $act');
    }
    const flowWhere = fw.join(' AND ');
    const convFiltered = !!(f.cidr || f.port !== undefined || f.protocol !== undefined || f.state);
    // Address, path or capture-point filters draw both state lanes from conversations too.
    const statesFromConv = !!(f.cidr || f.path || f.capturePoint);
    // Both from conversations: one scan per branch gives the bytes and the two state counts (the
    // bytes also under the action and state filters, the lanes without them). Two scans in parallel
    // fought over the cores: a /32 holding 1.7 M of 10 M conversations took ~160 ms.
    const sharedScan = convFiltered && statesFromConv ? convBytesAndStates(par, f, tunnelVpn, base) : null;

    let flowBytesP: Promise<Series[]>;
    if (sharedScan) {
      flowBytesP = sharedScan.then((rows) => [
        series('conversations:filtered', 'Bytes of matching conversations', 'bytes', g, rows.filter((r) => r.v != null).map((r) => ({ b: r.b, v: r.v! }))),
      ]);
    } else if (convFiltered) {
      // Address/port filters: the rollup has no addresses, so draw from conversations (bytes at their first bucket).
      const cf = conversationFilter({ ...f, from: undefined, to: undefined }, tunnelVpn);
      const scan = (w: string, lo = '$a') =>
        `SELECT first_seen - first_seen % $g AS b, sum(bytes_fwd + bytes_rev) AS v FROM conversations WHERE ${w} AND first_seen >= ${lo} AND first_seen < $z GROUP BY 1`;
      let parts = cf.branches.map((w) => scan(w));
      const p: SqlParams = { ...cf.params, ...base };
      if (serverPortRollup(f)) {
        // The server-side branch is in rollup_conversations (server_port kept below 32768, bytes
        // summed per 60 s of first_seen): whole minutes from it, the last part-minute before $z from
        // conversations. Only the client-side branch scans conversations.
        const rw = ['bucket >= $a', 'bucket < $z60', 'server_port = $f_port'];
        if (f.protocol !== undefined) rw.push('protocol = $f_proto');
        if (f.state) rw.push('state = $f_state');
        if (f.action) rw.push('action <> $f_not_action');
        p.z60 = to - (to % 60);
        parts = [
          `SELECT bucket - bucket % $g AS b, sum(bytes) AS v FROM rollup_conversations WHERE ${rw.join(' AND ')} GROUP BY 1`,
          scan(`${cf.branches[0]!} AND first_seen >= $z60`),
          ...parts.slice(1),
        ];
      }
      flowBytesP = par<{ b: number; v: number }>(`SELECT b, sum(v)::BIGINT AS v FROM (${parts.join(' UNION ALL ')}) GROUP BY 1 ORDER BY 1`, p).then((rows) => [
        series('conversations:filtered', 'Bytes of matching conversations', 'bytes', g, rows),
      ]);
    } else {
      flowBytesP = par<{ k: string; label: string; b: number; v: number }>(
        `SELECT CASE WHEN tbl = 'tgw_flows' THEN 'tgw:' || attachment ELSE 'vpc:' || coalesce(action, '-') END AS k,
           CASE WHEN tbl = 'tgw_flows' THEN 'TGW ' || attachment || ' (in)' ELSE 'VPC flow logs ' || coalesce(action, '') END AS label,
           bucket - bucket % $g AS b, sum(bytes) AS v
         FROM rollup_flows WHERE ${flowWhere} AND (tbl = 'vpc_flows' OR direction = 'ingress' OR direction IS NULL)
         GROUP BY 1, 2, 3 ORDER BY 1, 3`,
        fp,
      ).then((rows) => {
      const byKey = new Map<string, { label: string; rows: { b: number; v: number }[] }>();
      for (const r of rows) {
        const s = byKey.get(r.k) ?? { label: r.label, rows: [] };
        s.rows.push(r);
        byKey.set(r.k, s);
      }
      const vpnOf = new Map(tunnels.filter((t) => t.attachmentId).map((t) => [t.attachmentId!, t.vpnId]));
      return [...byKey.entries()].map(([k, s]) => {
        const att = k.startsWith('tgw:') ? k.slice(4) : null;
        return series(k, att && vpnOf.has(att) ? `${s.label} ${vpnOf.get(att)}` : s.label, 'bytes', g, s.rows);
      });
      });
    }

    const rejectsP = par<{ b: number; v: number }>(`SELECT bucket - bucket % $g AS b, sum(records) AS v FROM rollup_flows WHERE ${flowWhere} AND action = 'REJECT' GROUP BY 1 ORDER BY 1`, fp)
      .then((rows) => series('rejects', 'REJECT records', 'count', g, rows));
    const tgwLostP = par<{ b: number; v: number }>(
      `SELECT bucket - bucket % $g AS b, sum(lost_no_route + lost_blackhole + lost_mtu + lost_ttl) AS v FROM rollup_flows
       WHERE ${flowWhere} AND tbl = 'tgw_flows' GROUP BY 1 HAVING v > 0 ORDER BY 1`,
      fp,
    ).then((rows) => series('tgw-lost', 'Packets dropped by the Transit Gateway', 'packets', g, rows));
    // Address, path or capture-point filters: both state lanes from one scan of conversations (per branch).
    const convStates = sharedScan
      ? sharedScan.then((rows) =>
          rows.flatMap((r) => [
            ...(r.ho > 0 ? [{ st: 'half-open', b: r.b, v: r.ho }] : []),
            ...(r.sns > 0 ? [{ st: 'syn-no-synack', b: r.b, v: r.sns }] : []),
          ]),
        )
      : statesFromConv
        ? (() => {
            const cf = laneFilter(f, tunnelVpn);
            return par<{ st: string; b: number; v: number }>(
              `SELECT st, b, sum(v)::BIGINT AS v FROM (${cf.branches
                .map((w) => `SELECT state AS st, first_seen - first_seen % $g AS b, count(*) AS v FROM conversations
                  WHERE ${w} AND state IN ('half-open', 'syn-no-synack') AND first_seen >= $a AND first_seen < $z GROUP BY 1, 2`)
                .join(' UNION ALL ')}) GROUP BY 1, 2 ORDER BY 1, 2`,
              { ...cf.params, ...base },
            );
          })()
        : null;
    const stateSeries = async (state: string, label: string) => {
      const cp: SqlParams = { ...base, st: state };
      const w = ['bucket >= $a', 'bucket < $z', 'state = $st'];
      if (f.port !== undefined) {
        cp.port = f.port;
        w.push('server_port = $port');
      }
      if (f.protocol !== undefined) {
        cp.proto = f.protocol;
        w.push('protocol = $proto');
      }
      if (convStates) return series(state, label, 'count', g, (await convStates).filter((r) => r.st === state));
      return series(state, label, 'count', g, await par<{ b: number; v: number }>(
        `SELECT bucket - bucket % $g AS b, sum(conversations) AS v FROM rollup_conversations WHERE ${w.join(' AND ')} GROUP BY 1 ORDER BY 1`,
        cp,
      ));
    };
    const halfOpenP = stateSeries('half-open', 'Half-open TCP conversations');
    const synNoSynAckP = stateSeries('syn-no-synack', 'SYN without SYN-ACK');

    const tunnelRowsP = par<{ vpn_id: string; tunnel_ip: string; metric: string; p: number; b: number; v: number }>(
      `WITH pts AS (
         -- The same series imported twice (get-metric-data and get-metric-statistics) counts once.
         SELECT vpn_id, tunnel_ip, metric, epoch(ts)::BIGINT AS t, max(value) AS value, max(greatest(coalesce(period_s, 300), $g)) AS p
         FROM metric_points
         WHERE namespace = 'AWS/VPN' AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL AND metric IN ('TunnelDataIn', 'TunnelDataOut', 'TunnelState')
           AND ts >= to_timestamp($a - 3600) AND ts < to_timestamp($z)
         GROUP BY vpn_id, tunnel_ip, metric, ts)
       SELECT vpn_id, tunnel_ip, metric, p, t - t % p AS b,
         CASE WHEN metric = 'TunnelState' THEN min(value) ELSE sum(value) END AS v
       FROM pts GROUP BY vpn_id, tunnel_ip, metric, p, t - t % p ORDER BY b`,
      base,
    );
    const eventsP = db.use((cx) => timelineEvents(cx, a, to));
    const findingsP = par<{ id: string; kind: FindingKind; severity: Severity; s: number; e: number; title: string }>(
      `SELECT finding_id AS id, kind, severity, epoch_ms(start_ts) AS s, epoch_ms(end_ts) AS e, title FROM findings
       WHERE end_ts >= to_timestamp($a) AND start_ts < to_timestamp($z) ORDER BY start_ts`,
      base,
    );
    const [flowBytes, rejects, tgwLost, halfOpen, synNoSynAck, tunnelRows, events, findings] = await Promise.all([
      flowBytesP, rejectsP, tgwLostP, halfOpenP, synNoSynAckP, tunnelRowsP, eventsP, findingsP,
    ]);
    const tunnelSeries = tunnels
      .filter((t) => !f.path || f.path === t.tunnelIp || f.path === t.vpnId || f.path === t.attachmentId)
      .map((t) => {
        const mk = (metric: string, unit: Series['unit'], label: string): Series => {
          const rs = tunnelRows.filter((r) => r.vpn_id === t.vpnId && r.tunnel_ip === t.tunnelIp && r.metric === metric && r.b + r.p > a);
          const gran = rs[0]?.p ?? Math.max(300, g);
          return { key: `${t.vpnId}:${t.tunnelIp}:${metric}`, label: `${t.label} ${label}`, unit, granularitySeconds: gran, bands: rs.map((r) => ({ t0: r.b * 1000, t1: (r.b + r.p) * 1000, v: Number(r.v) })) };
        };
        return {
          vpnId: t.vpnId,
          tunnelIp: t.tunnelIp,
          label: t.label,
          bytesIn: mk('TunnelDataIn', 'bytes', 'in'),
          bytesOut: mk('TunnelDataOut', 'bytes', 'out'),
          state: mk('TunnelState', 'state', 'state'),
        };
      });

    return {
      from: a * 1000,
      to: to * 1000,
      bucketSeconds: g,
      tunnels: tunnelSeries,
      flowBytes,
      rejects,
      halfOpen,
      synNoSynAck,
      tgwLost,
      events,
      findings: findings.map((x) => ({ id: x.id, kind: x.kind, severity: x.severity, start: x.s, end: x.e, title: x.title })),
    };
  });
}

const EVENT_LIMIT = 5000;

export async function timelineEvents(c: Conn, a: number, z: number): Promise<TimelineEvent[]> {
  const rows = await qa<{ ts: number; kind: string; vpn_id: string | null; tunnel_ip: string | null; label: string; details: string | null; tbl: 'vpn_events' | 'bgp_events'; source_id: number; line: number }>(c, 
    `SELECT * FROM (
       SELECT epoch_ms(ts) AS ts, coalesce(event, 'other') AS kind, vpn_id, tunnel_ip,
         CASE coalesce(event, 'other')
           WHEN 'dpd-timeout' THEN 'DPD timeout' WHEN 'ike-established' THEN 'IKE up' WHEN 'ike-down' THEN 'IKE down'
           WHEN 'phase2-down' THEN 'IPsec down' WHEN 'rekey' THEN 'Rekey' ELSE coalesce(event, 'tunnel log') END AS label,
         details, 'vpn_events' AS tbl, source_id, line
       FROM vpn_events WHERE ts >= to_timestamp($a) AND ts < to_timestamp($z)
       UNION ALL
       SELECT epoch_ms(ts), CASE WHEN type = 'BGPStatus' THEN 'bgp-' || lower(coalesce(status, '?'))
                                 WHEN status = 'WITHDRAWN' THEN 'route-withdrawn' WHEN status = 'ADVERTISED' THEN 'route-advertised'
                                 ELSE 'route-updated' END,
         vpn_id, tunnel_ip,
         CASE WHEN type = 'BGPStatus' THEN 'BGP ' || coalesce(status, '') ELSE coalesce(prefix, '') || ' ' || lower(coalesce(status, '')) END,
         coalesce(details, CASE WHEN as_path IS NOT NULL THEN 'AS path ' || as_path || coalesce(' MED ' || med, '') END),
         'bgp_events', source_id, line
       FROM bgp_events WHERE ts >= to_timestamp($a) AND ts < to_timestamp($z))
     ORDER BY ts LIMIT ${EVENT_LIMIT}`,
    { a, z },
  );
  return rows.map((r) => ({
    ts: r.ts,
    kind: r.kind,
    vpnId: r.vpn_id,
    tunnelIp: r.tunnel_ip,
    label: r.label,
    details: r.details ?? '',
    ref: { table: r.tbl, sourceId: r.source_id, line: r.line },
  }));
}

/** The state of everything at `at` (ISO), looking back `windowSeconds` (default 300) for counters. */
export async function snapshotAt(db: Db, at: string, windowSeconds = 300): Promise<Snapshot> {
  const t = Math.floor(Date.parse(at) / 1000);
  const w = Math.max(1, windowSeconds);
  return db.use(async (c) => {
    const tunnels = await loadTunnels(c);
    const metric = await qa<{ vpn_id: string; tunnel_ip: string; metric: string; v: number; age: number; p: number }>(c, 
      `SELECT vpn_id, tunnel_ip, metric, arg_max(value, ts) AS v, $t - epoch(max(ts))::BIGINT AS age, any_value(coalesce(period_s, 300)) AS p
       FROM metric_points
       WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL AND metric IN ('TunnelState', 'TunnelDataIn', 'TunnelDataOut')
         AND ts <= to_timestamp($t) AND ts > to_timestamp($t - 3600)
       GROUP BY ALL`,
      { t },
    );
    const logState = await qa<{ vpn_id: string; tunnel_ip: string; up: boolean }>(c, 
      `SELECT vpn_id, tunnel_ip, arg_max(up, ts) AS up FROM (
         SELECT vpn_id, tunnel_ip, ts, event = 'ike-established' AS up FROM vpn_events
         WHERE event IN ('ike-established', 'dpd-timeout', 'ike-down', 'phase2-down') AND ts <= to_timestamp($t)
         UNION ALL SELECT vpn_id, tunnel_ip, ts, status = 'UP' FROM bgp_events WHERE type = 'BGPStatus' AND status IN ('UP', 'DOWN') AND ts <= to_timestamp($t))
       WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL GROUP BY ALL`,
      { t },
    );
    const get = (vpn: string, ip: string, m: string) => metric.find((r) => r.vpn_id === vpn && r.tunnel_ip === ip && r.metric === m && r.age < 2 * r.p);
    const counters = await qo<{ bytes: number; rejects: number }>(c, 
      `SELECT coalesce(sum(bytes) FILTER (WHERE tbl = 'vpc_flows' OR direction = 'ingress'), 0) AS bytes,
         coalesce(sum(records) FILTER (WHERE action = 'REJECT'), 0) AS rejects
       FROM rollup_flows WHERE bucket > $t - $w AND bucket <= $t`,
      { t, w },
    );
    const conv = await qo<{ n: number; ho: number; sn: number }>(c, 
      `SELECT coalesce(sum(conversations), 0) AS n, coalesce(sum(conversations) FILTER (WHERE state = 'half-open'), 0) AS ho,
         coalesce(sum(conversations) FILTER (WHERE state = 'syn-no-synack'), 0) AS sn
       FROM rollup_conversations WHERE bucket > $t - $w AND bucket <= $t`,
      { t, w },
    );
    const active = await qa<{ id: string }>(c, 
      'SELECT finding_id AS id FROM findings WHERE start_ts <= to_timestamp($t) AND end_ts >= to_timestamp($t - $w) ORDER BY start_ts',
      { t, w },
    );
    return {
      at: t * 1000,
      tunnels: tunnels.map((tu) => {
        const st = get(tu.vpnId, tu.tunnelIp, 'TunnelState');
        const lg = logState.find((r) => r.vpn_id === tu.vpnId && r.tunnel_ip === tu.tunnelIp);
        const state: 'up' | 'down' | 'unknown' = st ? (st.v >= 1 ? 'up' : 'down') : lg ? (lg.up ? 'up' : 'down') : 'unknown';
        return { vpnId: tu.vpnId, tunnelIp: tu.tunnelIp, state, bytesIn: get(tu.vpnId, tu.tunnelIp, 'TunnelDataIn')?.v ?? 0, bytesOut: get(tu.vpnId, tu.tunnelIp, 'TunnelDataOut')?.v ?? 0 };
      }),
      counters: {
        bytes: Number(counters?.bytes ?? 0),
        rejects: Number(counters?.rejects ?? 0),
        halfOpen: Number(conv?.ho ?? 0),
        synNoSynAck: Number(conv?.sn ?? 0),
        conversations: Number(conv?.n ?? 0),
      },
      activeFindings: active.map((r) => r.id),
    };
  });
}
