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

export const SMALL = {
  t0: 1_763_643_600, // 2025-11-20T13:00:00Z
  vpn: 'vpn-0aaa1111bbbb2222c',
  tgw: 'tgw-0123456789abcdef0',
  t1: '203.0.113.10',
  t2: '203.0.113.20',
  vpnAtt: 'tgw-attach-0vpn0000000000001',
  vpcAtt: 'tgw-attach-0vpc0000000000002',
  server: '10.10.1.50',
  serverEni: 'eni-0server000000000a',
  webEni: 'eni-0web0000000000000b',
};

/**
 * A compact two-hour case with known incidents, written straight into the tables:
 *  - tunnel 1 down 13:40–14:00 (TunnelState 0, DPD timeout, BGP DOWN/UP, route withdrawn/re-advertised); tunnel 2 up;
 *  - steady accepted traffic to SERVER:5432 every minute, then from 14:20 every new connection rejected inbound (SG);
 *  - Transit Gateway blackhole drops towards 172.16.20.0/24 from 14:40 to 14:50;
 *  - SKIPDATA on the web ENI from 14:30 to 14:40.
 */
export async function buildSmallCase(db: Db): Promise<void> {
  const S = SMALL;
  const metrics: Row[] = [];
  for (let t = S.t0; t < S.t0 + 7200; t += 300) {
    const down = t >= S.t0 + 2400 && t < S.t0 + 3600;
    for (const [ip, state, din, dout] of [
      [S.t1, down ? 0 : 1, down ? 0 : 900_000, down ? 0 : 4_000_000],
      [S.t2, 1, down ? 900_000 : 300, down ? 4_000_000 : 300],
    ] as const) {
      for (const [metric, value] of [['TunnelState', state], ['TunnelDataIn', din], ['TunnelDataOut', dout]] as const) {
        metrics.push({ namespace: 'AWS/VPN', metric, stat: metric === 'TunnelState' ? 'Average' : 'Sum', period_s: 300, series_key: `${metric}-${ip}`, vpn_id: S.vpn, tunnel_ip: ip, attributed: true, ts: new Date(t * 1000).toISOString(), value });
      }
    }
  }
  await insertRows(db, 'metric_points', 'metrics/get-metric-data.json', metrics);
  const iso = (s: number) => new Date(s * 1000).toISOString();
  await insertRows(db, 'vpn_events', 'vpn-logs/tunnel-activity.json', [
    { ts: iso(S.t0 + 2400), vpn_id: S.vpn, tunnel_ip: S.t1, event: 'dpd-timeout', details: 'AWS tunnel DPD timed out after 3 retransmits', ike_phase1_state: 'down', ike_phase2_state: 'down', raw: '{"details":"AWS tunnel DPD timed out after 3 retransmits"}' },
    { ts: iso(S.t0 + 3590), vpn_id: S.vpn, tunnel_ip: S.t1, event: 'ike-established', details: 'AWS tunnel processed response (id=1) for IKE_SA_INIT', ike_phase1_state: 'established', ike_phase2_state: 'established', raw: '{}' },
  ]);
  const bgp = (t: number, ip: string, type: string, status: string, extra: Row = {}): Row => ({ ts: iso(t), vpn_id: S.vpn, tunnel_ip: ip, resource_id: `${S.vpn}_${ip}`, type, status, raw: '{}', ...extra });
  const route = { prefix: '172.16.0.0/16', med: 100 };
  await insertRows(db, 'bgp_events', 'vpn-logs/bgp.json', [
    bgp(S.t0, S.t1, 'RouteStatus', 'ADVERTISED', { ...route, as_path: '65010', as_path_len: 1 }),
    bgp(S.t0, S.t2, 'RouteStatus', 'ADVERTISED', { ...route, as_path: '65010 65010 65010', as_path_len: 3 }),
    bgp(S.t0 + 2401, S.t1, 'BGPStatus', 'DOWN', { details: 'AWS-side peer BGP session state has changed from Established to Idle' }),
    bgp(S.t0 + 2402, S.t1, 'RouteStatus', 'WITHDRAWN', { ...route, as_path: '65010', as_path_len: 1 }),
    bgp(S.t0 + 3595, S.t1, 'BGPStatus', 'UP', { details: 'AWS-side peer BGP session state has changed from OpenConfirm to Established' }),
    bgp(S.t0 + 3596, S.t1, 'RouteStatus', 'ADVERTISED', { ...route, as_path: '65010', as_path_len: 1 }),
  ]);
  const flows: Row[] = [];
  let port = 40000;
  for (let t = S.t0; t < S.t0 + 7200; t += 60) {
    const rejected = t >= S.t0 + 4800 && t < S.t0 + 6000;
    const client = `172.16.20.${40 + (port % 2)}`;
    flows.push(...tcpPair({ eni: S.serverEni, client, cport: port++, server: S.server, sport: 5432, t, fwdFlags: rejected ? 2 : 3, revFlags: rejected ? null : 19, fwdBytes: rejected ? 180 : 2000, revBytes: 20000, action: rejected ? 'REJECT' : 'ACCEPT' }));
    flows.push({ interface_id: S.webEni, srcaddr: '10.10.1.21', dstaddr: '172.16.10.5', srcport: 443, dstport: port, protocol: 6, packets: 5, bytes: 3000, start_time: t, end_time: t + 20, action: 'ACCEPT', tcp_flags: 19 });
  }
  for (let t = S.t0 + 5400; t < S.t0 + 6000; t += 60) flows.push({ interface_id: S.webEni, start_time: t, end_time: t + 60, log_status: 'SKIPDATA', action: null });
  await insertRows(db, 'vpc_flows', 's3/vpc/flows.log', flows);
  const tgw: Row[] = [];
  for (let t = S.t0 + 6000; t < S.t0 + 6600; t += 60) {
    tgw.push({ tgw_id: S.tgw, tgw_attachment_id: S.vpcAtt, tgw_pair_attachment_id: null, srcaddr: '10.10.2.40', dstaddr: '172.16.20.10', srcport: 50000 + (t % 1000), dstport: 443, protocol: 6, packets: 6, bytes: 360, start_time: t, end_time: t + 30, tcp_flags: 2, flow_direction: 'ingress', packets_lost_blackhole: 6, packets_lost_no_route: 0, packets_lost_mtu_exceeded: 0, packets_lost_ttl_expired: 0 });
  }
  await insertRows(db, 'tgw_flows', 's3/tgw/flows.log', tgw);
  await db.run(`INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, tunnel_index, transit_gateway_id, static_routes_only, status, accepted_route_count, origin)
    VALUES ($v, $a, 1, $g, false, 'UP', 1, 'config'), ($v, $b, 2, $g, false, 'UP', 1, 'config')`, { v: S.vpn, a: S.t1, b: S.t2, g: S.tgw });
  await db.run("INSERT INTO tgw_attachments VALUES ($a, $g, 'vpn', $v, 'available', 'tgw-rtb-1'), ($c, $g, 'vpc', 'vpc-1', 'available', 'tgw-rtb-1')", { a: S.vpnAtt, c: S.vpcAtt, g: S.tgw, v: S.vpn });
  await db.run(`INSERT INTO routes VALUES
    (1, 'tgw', 'tgw-rtb-1', '172.16.0.0/16', NULL, 'attachment', $a, 'propagated', NULL, 'active'),
    (1, 'tgw', 'tgw-rtb-1', '172.16.20.0/24', NULL, NULL, NULL, 'static', NULL, 'blackhole'),
    (1, 'tgw', 'tgw-rtb-1', '10.10.0.0/16', NULL, 'attachment', $c, 'propagated', NULL, 'active'),
    (1, 'vpc', 'rtb-1', '10.10.0.0/16', NULL, 'local', 'local', 'local', 'CreateRouteTable', 'active'),
    (1, 'vpc', 'rtb-1', '172.16.0.0/16', NULL, 'transit-gateway', $g, 'static', 'CreateRoute', 'active')`, { a: S.vpnAtt, c: S.vpcAtt, g: S.tgw });
  await db.run(`INSERT INTO config_objects VALUES (1, 'transit_gateway', $g, $d::JSON)`, { g: S.tgw, d: JSON.stringify({ TransitGatewayId: S.tgw, Options: { VpnEcmpSupport: 'enable' } }) });
}
