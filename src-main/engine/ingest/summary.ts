/** What the case holds: sources with their counts, record counts per table, time range, tunnels. */
import { basename } from 'node:path';
import type { Db } from '../db/index.ts';
import { formatVersion } from '../db/schema/index.ts';
import type { CaseSummary, RecordCounts, SourceInfo, TunnelInfo } from '../../shared/domain.ts';

const COUNTED: (keyof RecordCounts)[] = ['vpc_flows', 'tgw_flows', 'metric_points', 'vpn_events', 'bgp_events', 'config_objects', 'quarantined'];

export async function caseSummary(db: Db, path: string): Promise<CaseSummary> {
  return db.use(async (c) => {
    const sources = await c.all<SourceInfo>(
      `SELECT source_id AS "sourceId", path, kind, format, fields, coalesce(bytes, 0) AS bytes, lines_read AS "linesRead", records,
         header_lines AS "headerLines", overlap_records AS "overlapRecords", quarantined, time_min AS "timeMin", time_max AS "timeMax",
         status, message
       FROM sources ORDER BY source_id`,
    );
    const counts = (await c.one<RecordCounts>(
      `SELECT ${COUNTED.map((t) => `(SELECT count(*) FROM ${t === 'quarantined' ? 'quarantine' : t}) AS ${t}`).join(', ')}`,
    ))!;
    const range = await c.one<{ lo: string | null; hi: string | null }>(
      `SELECT min(time_min) AS lo, max(time_max) AS hi FROM sources WHERE kind <> 'unknown'`,
    );
    const tunnels = await c.all<TunnelInfo>(
      `SELECT vpn_id AS "vpnId", tunnel_ip AS "tunnelIp", tunnel_index AS "tunnelIndex", inside_cidr AS "insideCidr",
         attachment_id AS "attachmentId", transit_gateway_id AS "transitGatewayId", vpn_gateway_id AS "vpnGatewayId", status, origin
       FROM vpn_tunnels ORDER BY vpn_id, tunnel_index NULLS LAST, tunnel_ip`,
    );
    const unattributed = await c.all<{ k: string }>(
      `SELECT DISTINCT series_key AS k FROM metric_points WHERE NOT attributed ORDER BY k`,
    );
    const analyzed = await c
      .one<{ value: string }>("SELECT value FROM meta WHERE key = 'analyzed_at'")
      .catch(() => undefined);
    return {
      path,
      name: basename(path || 'untitled'),
      formatVersion: await formatVersion(c),
      readOnly: db.readOnly,
      sources,
      counts,
      timeMin: range?.lo ?? null,
      timeMax: range?.hi ?? null,
      tunnels,
      unattributedSeries: unattributed.map((u) => u.k),
      analyzedAt: analyzed?.value ?? null,
    };
  });
}
