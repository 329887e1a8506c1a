import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { caseScope, fix, type Case } from './ingest-json-harness.ts';

const A = 'vpn-0a1b2c3d4e5f60718';
const B = 'vpn-0fedcba9876543210';
const SECRETS = ['Xq7.sekr1t_TunnelOne_PSK', 'Zz9.sekr1t_TunnelTwo_PSK', 'Bb3.sekr1t_VgwTunnel_PSK'];
const { open, tmpDir } = caseScope();

/** Every byte DuckDB left on disk for this case (database, WAL, temp spill). */
function caseBytes(c: Case): Buffer {
  return Buffer.concat(readdirSync(c.dir).flatMap((n) => {
    try {
      return [readFileSync(join(c.dir, n))];
    } catch {
      return [];
    }
  }));
}

describe('describe-vpn-connections', () => {
  it('never stores a pre-shared key or the CGW configuration, in any table or in the case file', async () => {
    const c = await open();
    const raw = readFileSync(fix('config/describe-vpn-connections.json'), 'utf8');
    for (const s of SECRETS) expect(raw).toContain(s);
    const r = await c.ingest(fix('config/describe-vpn-connections.json'));
    // A damaged copy goes to quarantine as raw text: its key must be gone there too.
    const q = await c.ingest(fix('config/broken-describe-vpn-connections.json'));
    expect(q.result).toMatchObject({ records: 0, quarantined: 1 });
    expect(r.result).toMatchObject({ linesRead: 2, records: 2, quarantined: 0 });
    const stored = await c.all<{ d: string }>('SELECT data::VARCHAR AS d FROM config_objects');
    const qraw = await c.all<{ raw: string }>('SELECT raw FROM quarantine');
    expect(qraw[0]!.raw).toContain('"VpnConnectionId"');
    for (const text of [...stored.map((x) => x.d), ...qraw.map((x) => x.raw)]) {
      for (const s of SECRETS) expect(text).not.toContain(s);
      expect(text).not.toContain('pre_shared_key>X');
    }
    for (const x of stored) {
      expect(x.d).not.toContain('PreSharedKey');
      expect(x.d).not.toContain('CustomerGatewayConfiguration');
    }
    // Everything else of the connection is kept.
    const conn = await c.all<{ p1: string; dpd: number; tags: string }>(
      `SELECT data->>'$.Options.TunnelOptions[0].Phase1EncryptionAlgorithms[0].Value' AS p1, (data->>'$.Options.TunnelOptions[1].DpdTimeoutSeconds')::INTEGER AS dpd,
              data->>'$.Tags[0].Value' AS tags FROM config_objects WHERE object_id = $v`,
      { v: A },
    );
    expect(conn).toEqual([{ p1: 'AES256', dpd: 30, tags: 'dc1-primary' }]);
    await c.close();
    const bytes = caseBytes(c);
    expect(bytes.length).toBeGreaterThan(0);
    // Control: text stored beside the keys is findable in the file, so the absence below means something.
    expect(bytes.includes(Buffer.from('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vpn/tunnel-logs'))).toBe(true);
    for (const s of SECRETS) expect(bytes.includes(Buffer.from(s))).toBe(false);
  });

  it('normalises tunnels in AWS order with inside CIDRs and telemetry, and VPN static routes', async () => {
    const c = await open();
    await c.ingest(fix('config/describe-vpn-connections.json'));
    expect(
      await c.all(
        `SELECT vpn_id, tunnel_ip, tunnel_index, inside_cidr, transit_gateway_id, vpn_gateway_id, customer_gateway_id, static_routes_only,
                status, status_message, last_status_change, accepted_route_count, origin FROM vpn_tunnels ORDER BY vpn_id, tunnel_index`,
      ),
    ).toEqual([
      { vpn_id: A, tunnel_ip: '203.0.113.10', tunnel_index: 1, inside_cidr: '169.254.10.0/30', transit_gateway_id: 'tgw-0123456789abcdef0', vpn_gateway_id: null, customer_gateway_id: 'cgw-0c0ffee0c0ffee001', static_routes_only: false, status: 'DOWN', status_message: 'IPSEC IS DOWN', last_status_change: '2026-11-20T09:20:05.000Z', accepted_route_count: 0, origin: 'config' },
      { vpn_id: A, tunnel_ip: '203.0.113.20', tunnel_index: 2, inside_cidr: '169.254.20.0/30', transit_gateway_id: 'tgw-0123456789abcdef0', vpn_gateway_id: null, customer_gateway_id: 'cgw-0c0ffee0c0ffee001', static_routes_only: false, status: 'UP', status_message: '3 BGP ROUTES', last_status_change: '2026-11-19T22:41:13.000Z', accepted_route_count: 3, origin: 'config' },
      // VgwTelemetry lists this connection's tunnels in the other order: the index follows TunnelOptions.
      { vpn_id: B, tunnel_ip: '198.51.100.7', tunnel_index: 1, inside_cidr: '169.254.30.0/30', transit_gateway_id: null, vpn_gateway_id: 'vgw-0b0b0b0b0b0b0b0b0', customer_gateway_id: 'cgw-0c0ffee0c0ffee002', static_routes_only: true, status: 'DOWN', status_message: 'IPSEC IS DOWN', last_status_change: '2026-11-20T09:40:00.000Z', accepted_route_count: 0, origin: 'config' },
      { vpn_id: B, tunnel_ip: '198.51.100.8', tunnel_index: 2, inside_cidr: '169.254.31.0/30', transit_gateway_id: null, vpn_gateway_id: 'vgw-0b0b0b0b0b0b0b0b0', customer_gateway_id: 'cgw-0c0ffee0c0ffee002', static_routes_only: true, status: 'UP', status_message: '', last_status_change: '2026-11-20T08:00:00.000Z', accepted_route_count: 0, origin: 'config' },
    ]);
    expect(await c.all("SELECT table_id, destination, target_type, target_id, route_type, origin, state FROM routes WHERE table_kind = 'vpn-static' ORDER BY destination")).toEqual([
      { table_id: B, destination: '192.168.50.0/24', target_type: 'vpn-connection', target_id: B, route_type: 'static', origin: 'Static', state: 'available' },
      { table_id: B, destination: '192.168.60.0/24', target_type: 'vpn-connection', target_id: B, route_type: 'static', origin: 'Static', state: 'deleted' },
    ]);
  });

  it('reads the AWS CLI documentation example (VpnConnections as an object) as one connection and says so', async () => {
    const c = await open();
    const r = await c.ingest(fix('conformance/describe-vpn-connections.output.json'));
    expect(r.result).toMatchObject({ linesRead: 1, records: 1, quarantined: 0 });
    expect(r.result.message).toMatch(/^VpnConnections was a single object, not a list/);
    expect(await c.all('SELECT tunnel_ip, tunnel_index, status, vpn_gateway_id FROM vpn_tunnels ORDER BY tunnel_index')).toEqual([
      { tunnel_ip: '72.21.209.192', tunnel_index: 1, status: 'DOWN', vpn_gateway_id: 'vgw-9a4cacf3' },
      { tunnel_ip: '72.21.209.224', tunnel_index: 2, status: 'DOWN', vpn_gateway_id: 'vgw-9a4cacf3' },
    ]);
    expect(await c.all("SELECT data->>'$.Tags[0].Value' AS name, json_exists(data, '$.CustomerGatewayConfiguration') AS cgw FROM config_objects")).toEqual([{ name: 'MyBGPVPN', cgw: false }]);
  });

  it('links tunnels to their TGW attachment whichever snapshot comes first', async () => {
    for (const order of [
      ['config/describe-vpn-connections.json', 'config/describe-transit-gateway-attachments.json'],
      ['config/describe-transit-gateway-attachments.json', 'config/describe-vpn-connections.json'],
    ]) {
      const c = await open();
      for (const f of order) await c.ingest(fix(f));
      expect(await c.all('SELECT vpn_id, tunnel_ip, attachment_id FROM vpn_tunnels ORDER BY vpn_id, tunnel_ip')).toEqual([
        { vpn_id: A, tunnel_ip: '203.0.113.10', attachment_id: 'tgw-attach-0aaa1111bbbb2222c' },
        { vpn_id: A, tunnel_ip: '203.0.113.20', attachment_id: 'tgw-attach-0aaa1111bbbb2222c' },
        { vpn_id: B, tunnel_ip: '198.51.100.7', attachment_id: null },
        { vpn_id: B, tunnel_ip: '198.51.100.8', attachment_id: null },
      ]);
    }
  });
});

describe('Transit Gateway and VPC snapshots', () => {
  it('stores attachments and transit gateways (VpnEcmpSupport kept in config_objects)', async () => {
    const c = await open();
    await c.ingest(fix('config/describe-transit-gateway-attachments.json'));
    await c.ingest(fix('config/describe-transit-gateways.json'));
    expect(await c.all('SELECT * FROM tgw_attachments ORDER BY attachment_id')).toEqual([
      { attachment_id: 'tgw-attach-0aaa1111bbbb2222c', transit_gateway_id: 'tgw-0123456789abcdef0', resource_type: 'vpn', resource_id: A, state: 'available', route_table_id: 'tgw-rtb-0abc1234def567890' },
      { attachment_id: 'tgw-attach-0ccc3333dddd4444e', transit_gateway_id: 'tgw-0123456789abcdef0', resource_type: 'vpc', resource_id: 'vpc-0e0e0e0e0e0e0e0e0', state: 'available', route_table_id: 'tgw-rtb-0abc1234def567890' },
    ]);
    expect(await c.all("SELECT object_id, data->>'$.Options.VpnEcmpSupport' AS ecmp FROM config_objects WHERE kind = 'transit_gateway'")).toEqual([
      { object_id: 'tgw-0123456789abcdef0', ecmp: 'enable' },
    ]);
  });

  it('reads TGW routes with ECMP attachments and a blackhole, the table id from the file name', async () => {
    const c = await open();
    const r = await c.ingest(fix('config/tgw-rtb-0abc1234def567890.search-transit-gateway-routes.json'));
    expect(r.result).toMatchObject({ linesRead: 4, records: 4, quarantined: 0, message: null });
    expect(await c.all("SELECT table_id, destination, target_type, target_id, route_type, origin, state FROM routes WHERE table_kind = 'tgw' ORDER BY destination, target_id")).toEqual([
      { table_id: 'tgw-rtb-0abc1234def567890', destination: '10.0.0.0/16', target_type: 'attachment', target_id: 'tgw-attach-0ccc3333dddd4444e', route_type: 'propagated', origin: 'vpc', state: 'active' },
      { table_id: 'tgw-rtb-0abc1234def567890', destination: '10.20.0.0/16', target_type: 'attachment', target_id: 'tgw-attach-0aaa1111bbbb2222c', route_type: 'propagated', origin: 'vpn', state: 'active' },
      { table_id: 'tgw-rtb-0abc1234def567890', destination: '10.40.0.0/16', target_type: 'attachment', target_id: 'tgw-attach-0aaa1111bbbb2222c', route_type: 'propagated', origin: 'vpn', state: 'active' },
      { table_id: 'tgw-rtb-0abc1234def567890', destination: '10.40.0.0/16', target_type: 'attachment', target_id: 'tgw-attach-0eee5555ffff6666a', route_type: 'propagated', origin: 'vpn', state: 'active' },
      { table_id: 'tgw-rtb-0abc1234def567890', destination: '10.99.0.0/16', target_type: null, target_id: null, route_type: 'static', origin: null, state: 'blackhole' },
    ]);
    // The routes name their attachments' resources: enough to map attachment → VPN without a snapshot.
    expect(await c.all("SELECT resource_id FROM tgw_attachments WHERE attachment_id = 'tgw-attach-0eee5555ffff6666a'")).toEqual([{ resource_id: 'vpn-0999888877776666a' }]);
  });

  it('reads the AWS CLI TGW route and propagation examples (the route table id unknown: said so)', async () => {
    const c = await open();
    const r = await c.ingest(fix('conformance/search-transit-gateway-routes.output.json'));
    expect(r.result).toMatchObject({ linesRead: 2, records: 2, quarantined: 0 });
    expect(r.result.message).toMatch(/route table id is not in this output/);
    const p = await c.ingest(fix('conformance/get-transit-gateway-route-table-propagations.output.json'));
    expect(p.result).toMatchObject({ linesRead: 3, records: 3, quarantined: 0 });
    expect(await c.all("SELECT object_id, data->>'$.ResourceType' AS t FROM config_objects WHERE kind = 'tgw_propagation' ORDER BY object_id")).toEqual([
      { object_id: 'tgw-attach-01f8100bc7EXAMPLE', t: 'vpc' },
      { object_id: 'tgw-attach-08e0bc912cEXAMPLE', t: 'direct-connect-gateway' },
      { object_id: 'tgw-attach-0a89069f57EXAMPLE', t: 'direct-connect-gateway' },
    ]);
  });

  it('ties unnamed TGW routes to the only route table the case knows, whichever file comes first', async () => {
    const c = await open();
    await c.ingest(fix('conformance/search-transit-gateway-routes.output.json'));
    expect(await c.all("SELECT DISTINCT table_id FROM routes WHERE table_kind = 'tgw'")).toEqual([{ table_id: null }]);
    await c.ingest(fix('config/describe-transit-gateway-attachments.json'));
    expect(await c.all("SELECT DISTINCT table_id FROM routes WHERE table_kind = 'tgw'")).toEqual([{ table_id: 'tgw-rtb-0abc1234def567890' }]);
  });

  it('reads VPC routes: local, propagated VGW, static TGW, blackhole, prefix list, IPv6', async () => {
    const c = await open();
    await c.ingest(fix('config/describe-route-tables.json'));
    expect(await c.all("SELECT destination, prefix_list_id, target_type, target_id, route_type, origin, state FROM routes WHERE table_kind = 'vpc' AND table_id = 'rtb-0f0f0f0f0f0f0f0f0'")).toEqual([
      { destination: '10.1.0.0/16', prefix_list_id: null, target_type: 'local', target_id: 'local', route_type: 'local', origin: 'CreateRouteTable', state: 'active' },
      { destination: '192.168.50.0/24', prefix_list_id: null, target_type: 'vgw', target_id: 'vgw-0b0b0b0b0b0b0b0b0', route_type: 'propagated', origin: 'EnableVgwRoutePropagation', state: 'active' },
      { destination: '10.20.0.0/16', prefix_list_id: null, target_type: 'transit-gateway', target_id: 'tgw-0123456789abcdef0', route_type: 'static', origin: 'CreateRoute', state: 'active' },
      { destination: '10.77.0.0/16', prefix_list_id: null, target_type: 'network-interface', target_id: 'eni-0deadbeef0000001', route_type: 'static', origin: 'CreateRoute', state: 'blackhole' },
      { destination: '0.0.0.0/0', prefix_list_id: null, target_type: 'igw', target_id: 'igw-0a1a1a1a1a1a1a1a1', route_type: 'static', origin: 'CreateRoute', state: 'active' },
      { destination: null, prefix_list_id: 'pl-6da54004', target_type: 'vpc-endpoint', target_id: 'vpce-0abcabcabcabcabca', route_type: 'static', origin: 'CreateRoute', state: 'active' },
      { destination: '2600:1f18:abcd::/56', prefix_list_id: null, target_type: 'local', target_id: 'local', route_type: 'local', origin: 'CreateRouteTable', state: 'active' },
    ]);
  });

  it('quarantines wrong shapes with a reason naming the key, and entries without their id', async () => {
    const c = await open();
    const r = await c.ingest(fix('config/bad-route-tables-shape.json'));
    expect(r.result).toMatchObject({ linesRead: 1, records: 0, quarantined: 1 });
    expect(await c.all('SELECT reason FROM quarantine')).toEqual([{ reason: 'RouteTables should be a list of route tables, but it is a string.' }]);
    const dir = tmpDir('tscope-cfg-');
    const f = join(dir, 'attachments.json');
    writeFileSync(f, JSON.stringify({ TransitGatewayAttachments: [{ TransitGatewayId: 'tgw-0123456789abcdef0' }, 'tgw-attach-1', { TransitGatewayAttachmentId: 'tgw-attach-0123456789abcdef0', ResourceType: 'vpn', ResourceId: A }] }) + '\n{"VpnConnections": 3}\n');
    const r2 = await c.ingest(f);
    expect(r2.result).toMatchObject({ linesRead: 4, records: 1, quarantined: 3 });
    expect(await c.all('SELECT line, reason FROM quarantine WHERE source_id = $s ORDER BY line', { s: r2.sourceId })).toEqual([
      { line: 1, reason: 'Entry has no TransitGatewayAttachmentId.' },
      { line: 2, reason: 'Each entry should be an object.' },
      { line: 4, reason: 'VpnConnections should be a list of VPN connections, but it is a number.' },
    ]);
  });
});
