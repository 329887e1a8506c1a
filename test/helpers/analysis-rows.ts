/**
 * Inserts hand-written records straight into the typed tables, for analysis tests that must not
 * depend on the ingest service. Each table gets one `sources` row per call (file name given).
 */
import type { Db } from '../../src-main/engine/db/index.ts';

type Val = string | number | boolean | null;
export type Row = Record<string, Val>;

export const VPC_FIELDS =
  'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr flow-direction';
export const TGW_FIELDS =
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service';

const KIND: Record<string, string> = {
  vpc_flows: 'vpc_flows',
  tgw_flows: 'tgw_flows',
  metric_points: 'metrics',
  vpn_events: 'vpn_tunnel_log',
  bgp_events: 'vpn_bgp_log',
};

/** Inserts rows into `table` under a new source; `line` defaults to the 1-based position (+1 for a header). */
export async function insertRows(db: Db, table: keyof typeof KIND, file: string, rows: Row[]): Promise<number> {
  const fields = table === 'vpc_flows' ? VPC_FIELDS : table === 'tgw_flows' ? TGW_FIELDS : null;
  const src = await db.one<{ id: number }>(
    "INSERT INTO sources (path, kind, format, fields, sha256, records) VALUES ($p, $k, 's3-text', $f, md5($p), $n) RETURNING source_id AS id",
    { p: file, k: KIND[table]!, f: fields, n: rows.length },
  );
  const sourceId = src!.id;
  let i = 0;
  for (const r of rows) {
    i++;
    const full: Row = { source_id: sourceId, line: i + (fields ? 1 : 0), ...r };
    if ((table === 'vpc_flows' || table === 'tgw_flows') && full.log_status === undefined) full.log_status = 'OK';
    if (table === 'vpc_flows' && full.action === undefined && full.log_status === 'OK') full.action = 'ACCEPT';
    if (table === 'vpc_flows' && full.version === undefined) full.version = 5;
    if (table === 'tgw_flows' && full.version === undefined) full.version = 6;
    const cols = Object.keys(full);
    const params: Record<string, Val> = {};
    cols.forEach((c, j) => (params[`p${j}`] = full[c]!));
    const casts: Record<string, string> = { ts: '::TIMESTAMPTZ', raw: '::JSON' };
    await db.run(
      `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map((c, j) => `$p${j}${casts[c] ?? ''}`).join(', ')})`,
      params as Record<string, string | number | boolean | null>,
    );
  }
  return sourceId;
}

/** A TCP exchange's records, as a real capture would log them on one ENI (both directions). */
export function tcpPair(o: {
  eni: string;
  client: string;
  cport: number;
  server: string;
  sport: number;
  t: number;
  fwdFlags: number;
  revFlags: number | null;
  fwdPackets?: number;
  fwdBytes?: number;
  revPackets?: number;
  revBytes?: number;
  action?: string;
  revAction?: string;
  clientSide?: boolean;
}): Row[] {
  const fwd: Row = {
    interface_id: o.eni, srcaddr: o.client, dstaddr: o.server, srcport: o.cport, dstport: o.sport, protocol: 6,
    packets: o.fwdPackets ?? 3, bytes: o.fwdBytes ?? 180, start_time: o.t, end_time: o.t + 30,
    action: o.action ?? 'ACCEPT', tcp_flags: o.fwdFlags, flow_direction: o.clientSide ? 'egress' : 'ingress',
  };
  if (o.revFlags === null) return [fwd];
  const rev: Row = {
    interface_id: o.eni, srcaddr: o.server, dstaddr: o.client, srcport: o.sport, dstport: o.cport, protocol: 6,
    packets: o.revPackets ?? 3, bytes: o.revBytes ?? 180, start_time: o.t + 1, end_time: o.t + 31,
    action: o.revAction ?? 'ACCEPT', tcp_flags: o.revFlags, flow_direction: o.clientSide ? 'ingress' : 'egress',
  };
  return [fwd, rev];
}
