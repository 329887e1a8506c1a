/**
 * Post-passes that tie JSON sources together across files. Every metric, log and config load runs
 * `reconcile` at its end, over the whole case, so the order in which files arrive never matters:
 * a query file imported after its metric pages still attributes them, a TGW attachments snapshot
 * imported after describe-vpn-connections still fills vpn_tunnels.attachment_id.
 * Each pass is idempotent and touches only rows that still lack what it fills.
 */
import { AppError } from '../../../shared/result.ts';
import type { Conn } from '../../db/index.ts';
import { defaultPeriod } from './metric-sql.ts';

const dirOf = (p: string) => String.raw`regexp_replace(${p}, '[^/\\]*$', '')`;
const dimValue = (dims: string, name: string) =>
  `json_extract_string(list_filter(${dims}, d -> json_extract_string(d, '$.Name') = '${name}')[1], '$.Value')`;

/**
 * Match get-metric-data series (series_key = "<Id>" or "<Id>:<Label>") to query files in the case by
 * query Id, preferring a query file in the same folder, then the newest one.
 */
const applyQueryFiles = `
UPDATE metric_points AS m SET
  namespace = coalesce(p.namespace, m.namespace),
  metric = coalesce(p.metric, m.metric),
  stat = coalesce(p.stat, m.stat),
  unit = coalesce(p.unit, m.unit),
  period_s = coalesce(p.period, m.period_s),
  dimensions = p.dims,
  vpn_id = coalesce(p.vpn_id, m.vpn_id),
  tunnel_ip = coalesce(p.tunnel_ip, m.tunnel_ip),
  tgw_id = coalesce(p.tgw_id, m.tgw_id),
  attachment_id = coalesce(p.attachment_id, m.attachment_id)
FROM (
  SELECT ms.source_id, ms.qid,
         json_extract_string(q.data, '$.MetricStat.Metric.Namespace') AS namespace,
         json_extract_string(q.data, '$.MetricStat.Metric.MetricName') AS metric,
         json_extract_string(q.data, '$.MetricStat.Stat') AS stat,
         json_extract_string(q.data, '$.MetricStat.Unit') AS unit,
         TRY_CAST(coalesce(json_extract_string(q.data, '$.MetricStat.Period'), json_extract_string(q.data, '$.Period')) AS INTEGER) AS period,
         map_from_entries(list_transform(q.dimlist, d -> {'key': json_extract_string(d, '$.Name'), 'value': json_extract_string(d, '$.Value')})) AS dims,
         ${dimValue('q.dimlist', 'VpnId')} AS vpn_id,
         ${dimValue('q.dimlist', 'TunnelIpAddress')} AS tunnel_ip,
         ${dimValue('q.dimlist', 'TransitGateway')} AS tgw_id,
         ${dimValue('q.dimlist', 'TransitGatewayAttachment')} AS attachment_id
  FROM (SELECT DISTINCT mp.source_id, split_part(mp.series_key, ':', 1) AS qid, s.path AS mpath
        FROM metric_points mp JOIN sources s ON s.source_id = mp.source_id
        WHERE mp.dimensions IS NULL AND coalesce(s.format, 'get-metric-data') = 'get-metric-data') ms
  JOIN (SELECT co.object_id AS qid, co.data, co.source_id AS qsrc, s.path AS qpath,
               coalesce(json_extract(co.data, '$.MetricStat.Metric.Dimensions[*]'), []) AS dimlist
        FROM config_objects co JOIN sources s ON s.source_id = co.source_id
        WHERE co.kind = 'metric_query' AND json_type(co.data, '$.MetricStat') = 'OBJECT') q ON q.qid = ms.qid
  QUALIFY row_number() OVER (PARTITION BY ms.source_id, ms.qid
                             ORDER BY (${dirOf('q.qpath')} = ${dirOf('ms.mpath')}) DESC, q.qsrc DESC) = 1
) p
WHERE m.source_id = p.source_id AND split_part(m.series_key, ':', 1) = p.qid AND m.dimensions IS NULL`;

/** A tunnel outside IP names one VPN connection when the case knows exactly one owner for it. */
const ownerByIp = `(SELECT tunnel_ip, min(vpn_id) AS vpn_id FROM vpn_tunnels GROUP BY tunnel_ip HAVING count(DISTINCT vpn_id) = 1)`;

const fillVpnFromIp = ['metric_points', 'vpn_events', 'bgp_events'].map(
  (t) => `UPDATE ${t} AS x SET vpn_id = o.vpn_id FROM ${ownerByIp} o WHERE x.vpn_id IS NULL AND x.tunnel_ip = o.tunnel_ip`,
);

const fillVpnFromAttachment = `
UPDATE metric_points AS m SET vpn_id = a.resource_id
FROM tgw_attachments a
WHERE m.vpn_id IS NULL AND m.attachment_id = a.attachment_id AND a.resource_type = 'vpn'`;

/** Series whose points carry no period get the spacing seen anywhere in the case, then the namespace default. */
const fillPeriod = `
UPDATE metric_points AS m SET period_s = coalesce(p.period, ${defaultPeriod('m.namespace')})
FROM (SELECT k.series_key, min(d) AS period
      FROM (SELECT DISTINCT series_key FROM metric_points WHERE period_s IS NULL) k
      LEFT JOIN (SELECT series_key, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY series_key ORDER BY ts)) AS d FROM metric_points
                 WHERE series_key IN (SELECT series_key FROM metric_points WHERE period_s IS NULL)) g
        ON g.series_key = k.series_key AND g.d > 0
      GROUP BY k.series_key) p
WHERE m.period_s IS NULL AND m.series_key = p.series_key`;

/**
 * A point is attributed when it belongs to one tunnel (VPN id + outside IP), to a TGW or attachment,
 * or to a whole VPN connection by exact query dimensions (VpnId only).
 */
const markAttributed = `
UPDATE metric_points SET attributed = true
WHERE NOT attributed AND (
  (vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL)
  OR (namespace = 'AWS/TransitGateway' AND (attachment_id IS NOT NULL OR tgw_id IS NOT NULL))
  OR (namespace = 'AWS/VPN' AND dimensions IS NOT NULL AND vpn_id IS NOT NULL))`;

const tunnelAttachment = `
UPDATE vpn_tunnels AS t SET attachment_id = a.attachment_id, transit_gateway_id = coalesce(t.transit_gateway_id, a.transit_gateway_id)
FROM (SELECT resource_id, max(attachment_id) AS attachment_id, max(transit_gateway_id) AS transit_gateway_id
      FROM tgw_attachments WHERE resource_type = 'vpn' AND coalesce(state, '') NOT IN ('deleted', 'deleting')
      GROUP BY resource_id) a
WHERE t.vpn_id = a.resource_id AND t.attachment_id IS DISTINCT FROM a.attachment_id`;

const tunnelsFromLogs = `
INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, origin)
SELECT DISTINCT vpn_id, tunnel_ip, 'logs' FROM (
  SELECT vpn_id, tunnel_ip FROM vpn_events UNION SELECT vpn_id, tunnel_ip FROM bgp_events)
WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
ON CONFLICT DO NOTHING`;

const tunnelsFromMetrics = `
INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, origin)
SELECT DISTINCT vpn_id, tunnel_ip, 'metrics' FROM metric_points
WHERE attributed AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
ON CONFLICT DO NOTHING`;

/**
 * search-transit-gateway-routes does not name its route table. When the case knows exactly one TGW
 * route table (attachment associations, TGW default tables), the routes belong to it.
 */
const tgwRouteTable = `
UPDATE routes SET table_id = (SELECT min(id) FROM (
    SELECT route_table_id AS id FROM tgw_attachments WHERE route_table_id IS NOT NULL
    UNION SELECT data->>'$.Options.AssociationDefaultRouteTableId' FROM config_objects WHERE kind = 'transit_gateway'
    UNION SELECT data->>'$.Options.PropagationDefaultRouteTableId' FROM config_objects WHERE kind = 'transit_gateway') t WHERE id IS NOT NULL)
WHERE table_kind = 'tgw' AND table_id IS NULL
  AND (SELECT count(DISTINCT id) FROM (
    SELECT route_table_id AS id FROM tgw_attachments WHERE route_table_id IS NOT NULL
    UNION SELECT data->>'$.Options.AssociationDefaultRouteTableId' FROM config_objects WHERE kind = 'transit_gateway'
    UNION SELECT data->>'$.Options.PropagationDefaultRouteTableId' FROM config_objects WHERE kind = 'transit_gateway') t WHERE id IS NOT NULL) = 1`;

export async function reconcile(conn: Conn): Promise<void> {
  await conn.run(applyQueryFiles);
  for (const s of fillVpnFromIp) await conn.run(s);
  await conn.run(fillVpnFromAttachment);
  await conn.run(fillPeriod);
  await conn.run(markAttributed);
  await conn.run(tunnelsFromLogs);
  await conn.run(tunnelsFromMetrics);
  await conn.run(tunnelAttachment);
  await conn.run(tgwRouteTable);
}

// AWS ids have 8 or 17 hex digits; shortened ids from notes and examples are accepted as typed.
const VPN_ID = /^vpn-[0-9a-zA-Z]+$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/**
 * Ties every point of one series (metric_points.series_key) to a tunnel, replacing whatever it was
 * tied to before. Used by `--attribute SERIES=vpn-…/1.2.3.4` at import and by the UI afterwards.
 * SERIES is a series_key, or the query Id of a get-metric-data series.
 * Returns the number of points changed.
 */
export async function attributeSeries(conn: Conn, series: string, vpnId: string, tunnelIp: string, sourceId?: number): Promise<number> {
  if (!VPN_ID.test(vpnId)) throw new AppError('bad-argument', `"${vpnId}" is not a VPN connection id (expected vpn- followed by hex digits).`);
  if (!IPV4.test(tunnelIp)) throw new AppError('bad-argument', `"${tunnelIp}" is not a tunnel outside IPv4 address.`);
  // A get-metric-data query Id alone ("m1") names its series ("m1:TunnelDataIn").
  const key = `(series_key = $s OR (strpos($s, ':') = 0 AND strpos(series_key, '@') = 0 AND split_part(series_key, ':', 1) = $s))`;
  const where = sourceId === undefined ? key : `${key} AND source_id = $sid`;
  const params: Record<string, string | number> = { s: series };
  if (sourceId !== undefined) params.sid = sourceId;
  const n = await conn.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM metric_points WHERE ${where}`, params);
  if (!n?.n) {
    if (sourceId !== undefined) return 0;
    throw new AppError('not-found', `No metric series "${series}" in this investigation; see the unattributed series listed in the case summary.`);
  }
  await conn.run(
    `UPDATE metric_points SET vpn_id = $v, tunnel_ip = $ip, namespace = coalesce(namespace, 'AWS/VPN'), attributed = true WHERE ${where}`,
    { ...params, v: vpnId, ip: tunnelIp },
  );
  await conn.run(tunnelsFromMetrics);
  await conn.run(tunnelAttachment);
  return n.n;
}

/** Series keys whose points are tied to no tunnel or attachment yet (CaseSummary.unattributedSeries). */
export async function unattributedSeries(conn: Conn): Promise<string[]> {
  const rows = await conn.all<{ k: string }>('SELECT DISTINCT series_key AS k FROM metric_points WHERE NOT attributed ORDER BY k');
  return rows.map((r) => r.k);
}
