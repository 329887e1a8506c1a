/**
 * Pairing and handshake classification on hand-written records (real DuckDB, no ingest): the
 * edge cases flow logs produce — records split across windows, directions logged at different
 * ENIs, the 60 s start/end lag, pkt-srcaddr at TGW ENIs, ICMP/UDP, IPv6, NODATA/SKIPDATA rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src-main/engine/analysis/index.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import { insertRows, tcpPair, type Row } from '../helpers/analysis-rows.ts';

const T = 1_763_643_600; // 2025-11-20T13:00:00Z
let db: Db;
beforeEach(async () => {
  db = await Db.open(':memory:');
});
afterEach(async () => {
  await db.close();
});

async function conversations(): Promise<Record<string, unknown>[]> {
  await runAnalysis(db);
  return db.all('SELECT * FROM conversations ORDER BY client_port, first_seen');
}

const flow = (o: Row): Row => ({ protocol: 6, packets: 2, bytes: 120, action: 'ACCEPT', tcp_flags: 0, ...o });

describe('pairing', () => {
  it('joins a flow split across aggregation windows and OR-s its flags', async () => {
    const base = { interface_id: 'eni-s', srcaddr: '10.0.1.5', dstaddr: '10.0.2.9', srcport: 40000, dstport: 443 };
    const back = { interface_id: 'eni-s', srcaddr: '10.0.2.9', dstaddr: '10.0.1.5', srcport: 443, dstport: 40000 };
    await insertRows(db, 'vpc_flows', 'split.log', [
      flow({ ...base, start_time: T, end_time: T + 50, tcp_flags: 2, packets: 3, bytes: 900 }),
      flow({ ...back, start_time: T + 1, end_time: T + 55, tcp_flags: 18, packets: 3, bytes: 4000 }),
      flow({ ...base, start_time: T + 61, end_time: T + 110, tcp_flags: 0, packets: 10, bytes: 5000 }),
      flow({ ...back, start_time: T + 62, end_time: T + 115, tcp_flags: 1, packets: 10, bytes: 90000 }),
      flow({ ...base, start_time: T + 121, end_time: T + 125, tcp_flags: 1, packets: 1, bytes: 52 }),
    ]);
    const [c, ...rest] = await conversations();
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      client: '10.0.1.5', client_port: 40000, server: '10.0.2.9', server_port: 443, state: 'completed',
      flags_fwd: 3, flags_rev: 19, bytes_fwd: 5952, bytes_rev: 94000, packets_fwd: 14, records_fwd: 3, records_rev: 2,
      first_seen: T, last_seen: T + 125, action: 'ACCEPT',
    });
  });

  it('pairs directions logged at different ENIs, tolerating the 60 s lag, and lists capture points per direction', async () => {
    await insertRows(db, 'vpc_flows', 'two-enis.log', [
      flow({ interface_id: 'eni-client', srcaddr: '10.0.1.5', dstaddr: '10.0.2.9', srcport: 40001, dstport: 443, start_time: T, end_time: T + 5, tcp_flags: 3, bytes: 600, packets: 5, flow_direction: 'egress' }),
      // The reply is only seen on the server's ENI, and its record starts 58 s later (lag).
      flow({ interface_id: 'eni-server', srcaddr: '10.0.2.9', dstaddr: '10.0.1.5', srcport: 443, dstport: 40001, start_time: T + 63, end_time: T + 70, tcp_flags: 19, bytes: 6000, packets: 6, flow_direction: 'egress' }),
    ]);
    const [c, ...rest] = await conversations();
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ state: 'completed', capture_fwd: ['eni-client'], capture_rev: ['eni-server'] });
  });

  it('counts the same packets once when several hops log them (max over capture points)', async () => {
    const fwd = { srcaddr: '172.16.10.5', dstaddr: '10.0.1.21', srcport: 50000, dstport: 443, start_time: T, end_time: T + 20, tcp_flags: 3, packets: 8, bytes: 2000 };
    const rev = { srcaddr: '10.0.1.21', dstaddr: '172.16.10.5', srcport: 443, dstport: 50000, start_time: T + 1, end_time: T + 21, tcp_flags: 19, packets: 9, bytes: 9000 };
    await insertRows(db, 'vpc_flows', 'server.log', [flow({ interface_id: 'eni-srv', ...fwd }), flow({ interface_id: 'eni-srv', ...rev })]);
    // At the TGW ENI the record's srcaddr is the TGW ENI itself; pkt-srcaddr holds the real client.
    await insertRows(db, 'vpc_flows', 'tgw-eni.log', [
      flow({ interface_id: 'eni-tgw', ...fwd, srcaddr: '10.0.255.5', pkt_srcaddr: '172.16.10.5', pkt_dstaddr: '10.0.1.21' }),
      flow({ interface_id: 'eni-tgw', ...rev, dstaddr: '10.0.255.5', pkt_srcaddr: '10.0.1.21', pkt_dstaddr: '172.16.10.5' }),
    ]);
    await insertRows(db, 'tgw_flows', 'tgw.log', [
      { tgw_attachment_id: 'tgw-attach-vpn', tgw_pair_attachment_id: 'tgw-attach-vpc', flow_direction: 'ingress', protocol: 6, ...fwd },
      { tgw_attachment_id: 'tgw-attach-vpn', tgw_pair_attachment_id: 'tgw-attach-vpc', flow_direction: 'egress', protocol: 6, ...rev },
    ]);
    await db.run("INSERT INTO tgw_attachments VALUES ('tgw-attach-vpn', 'tgw-1', 'vpn', 'vpn-abc', 'available', NULL)");
    const [c, ...rest] = await conversations();
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      client: '172.16.10.5', server: '10.0.1.21', state: 'completed', bytes_fwd: 2000, bytes_rev: 9000, packets_fwd: 8,
      records_fwd: 3, records_rev: 3, capture_fwd: ['eni-srv', 'eni-tgw', 'tgw-attach-vpn'], attach_fwd: ['tgw-attach-vpn'],
      vpn_fwd: ['vpn-abc'], vpn_rev: ['vpn-abc'], action: 'ACCEPT',
    });
  });

  it('starts a new conversation when the same 5-tuple comes back after the pairing gap', async () => {
    const k = { interface_id: 'eni-s', srcaddr: '10.0.1.5', dstaddr: '10.0.2.9', srcport: 40002, dstport: 443 };
    await insertRows(db, 'vpc_flows', 'reuse.log', [
      flow({ ...k, start_time: T, end_time: T + 10, tcp_flags: 3 }),
      flow({ ...k, start_time: T + 3600, end_time: T + 3610, tcp_flags: 3 }),
    ]);
    const cs = await conversations();
    expect(cs.map((c) => c.seq)).toEqual([0, 1]);
    expect(new Set(cs.map((c) => c.conv_id)).size).toBe(2);
  });

  it('handles UDP, ICMP and IPv6, picking the client by port and by who spoke first', async () => {
    await insertRows(db, 'vpc_flows', 'misc.log', [
      flow({ interface_id: 'eni-dns', srcaddr: '10.0.2.53', dstaddr: '172.16.0.53', srcport: 53, dstport: 53124, protocol: 17, start_time: T + 1, end_time: T + 1, tcp_flags: 0 }),
      flow({ interface_id: 'eni-dns', srcaddr: '172.16.0.53', dstaddr: '10.0.2.53', srcport: 53124, dstport: 53, protocol: 17, start_time: T, end_time: T, tcp_flags: 0 }),
      flow({ interface_id: 'eni-web', srcaddr: '172.16.0.5', dstaddr: '10.0.1.21', srcport: 0, dstport: 0, protocol: 1, start_time: T, end_time: T + 50, tcp_flags: 0 }),
      flow({ interface_id: 'eni-v6', srcaddr: '2600:1f18::a', dstaddr: '2600:1f18::b', srcport: 51000, dstport: 8080, start_time: T, end_time: T + 5, tcp_flags: 2, bytes: 80, packets: 1 }),
      flow({ interface_id: 'eni-v6', srcaddr: '2600:1f18::b', dstaddr: '2600:1f18::a', srcport: 8080, dstport: 51000, start_time: T, end_time: T + 5, tcp_flags: 18, bytes: 80, packets: 1 }),
    ]);
    await runAnalysis(db);
    const rows = await db.all<Record<string, unknown>>('SELECT protocol, client, client_port, server, server_port, state FROM conversations ORDER BY protocol, client');
    expect(rows).toEqual([
      { protocol: 1, client: '172.16.0.5', client_port: 0, server: '10.0.1.21', server_port: 0, state: 'no-tcp' },
      { protocol: 6, client: '2600:1f18::a', client_port: 51000, server: '2600:1f18::b', server_port: 8080, state: 'half-open' },
      { protocol: 17, client: '172.16.0.53', client_port: 53124, server: '10.0.2.53', server_port: 53, state: 'no-tcp' },
    ]);
  });

  it('ignores NODATA and SKIPDATA rows for pairing but keeps them in the log-status rollup', async () => {
    await insertRows(db, 'vpc_flows', 'status.log', [
      { interface_id: 'eni-a', start_time: T, end_time: T + 60, log_status: 'NODATA', action: null },
      { interface_id: 'eni-a', start_time: T + 60, end_time: T + 120, log_status: 'SKIPDATA', action: null },
      flow({ interface_id: 'eni-a', srcaddr: '10.0.1.5', dstaddr: '10.0.2.9', srcport: 1, dstport: 2, start_time: T, end_time: T + 1 }),
    ]);
    await runAnalysis(db);
    expect((await db.one<{ n: number }>('SELECT count(*) AS n FROM conversations'))!.n).toBe(1);
    expect(await db.all('SELECT bucket, log_status, records FROM rollup_log_status ORDER BY bucket')).toEqual([
      { bucket: T, log_status: 'NODATA', records: 1 },
      { bucket: T + 60, log_status: 'SKIPDATA', records: 1 },
    ]);
  });
});

describe('handshake classification', () => {
  const c = { eni: 'eni-s', client: '10.0.1.5', server: '10.0.2.9', sport: 443, t: T };
  it.each([
    ['completed: SYN, SYN-ACK, data, FIN', { fwdFlags: 3, revFlags: 19, fwdBytes: 800, revBytes: 9000 }, 'completed'],
    ['half-open: SYN-ACK sent back, client only retries SYN, no data', { fwdFlags: 2, revFlags: 18, fwdPackets: 5, fwdBytes: 300, revPackets: 5, revBytes: 300 }, 'half-open'],
    ['syn-no-synack: SYNs with no reply anywhere', { fwdFlags: 2, revFlags: null }, 'syn-no-synack'],
    ['rejected inbound (security group)', { fwdFlags: 2, revFlags: null, action: 'REJECT' }, 'rejected'],
    ['rejected response (network ACL): the SYN-ACK is REJECTed going out', { fwdFlags: 2, revFlags: 18, revAction: 'REJECT' }, 'rejected'],
    ['reset: SYN answered by RST', { fwdFlags: 2, revFlags: 4, revBytes: 40, revPackets: 1 }, 'reset'],
    ['reset after data', { fwdFlags: 2, revFlags: 22, fwdBytes: 3000, revBytes: 9000 }, 'reset'],
    ['established: mid-stream, ACK-only windows both ways', { fwdFlags: 0, revFlags: 0, fwdBytes: 30000, revBytes: 90000 }, 'established'],
    ['unknown: mid-stream, one direction only', { fwdFlags: 0, revFlags: null, fwdBytes: 30000 }, 'unknown'],
  ] as const)('%s', async (_name, o, state) => {
    await insertRows(db, 'vpc_flows', 'x.log', tcpPair({ ...c, cport: 41000, ...o } as Parameters<typeof tcpPair>[0]));
    const rows = await conversations();
    expect(rows.map((r) => r.state)).toEqual([state]);
  });

  it('records the counts of rejected requests and responses separately', async () => {
    await insertRows(db, 'vpc_flows', 'x.log', [
      ...tcpPair({ ...c, cport: 41001, fwdFlags: 2, revFlags: null, action: 'REJECT' }),
      ...tcpPair({ ...c, cport: 41002, fwdFlags: 2, revFlags: 18, revAction: 'REJECT' }),
    ]);
    const rows = await conversations();
    expect(rows.map((r) => [r.rejects_fwd, r.rejects_rev, r.action])).toEqual([
      [1, 0, 'REJECT'],
      [0, 1, 'MIXED'],
    ]);
  });

  it('is idempotent: a second run gives the same conversations and ids', async () => {
    await insertRows(db, 'vpc_flows', 'x.log', tcpPair({ ...c, cport: 41003, fwdFlags: 3, revFlags: 19 }));
    const a = await conversations();
    const b = await conversations();
    expect(b).toEqual(a);
    expect(await db.one("SELECT value IS NOT NULL AS ok FROM meta WHERE key = 'analyzed_at'")).toEqual({ ok: true });
  });
});
