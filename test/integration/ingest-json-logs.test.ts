import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vpnLogHandler } from '../../src-main/engine/ingest/formats/vpn-log.ts';
import { caseScope, fix } from './ingest-json-harness.ts';

const A = 'vpn-0a1b2c3d4e5f60718';
const B = 'vpn-0fedcba9876543210';
const { open, tmpDir } = caseScope();

describe('Site-to-Site VPN tunnel activity logs', () => {
  it('reads filter-log-events: tunnel from the stream name (- or _), DPD timeout and re-establishment classified', async () => {
    const c = await open();
    const r = await c.ingest(fix('logs/tunnel-filter-log-events.json'));
    expect(r.detection.kind).toBe('vpn_tunnel_log');
    expect(r.result).toMatchObject({ linesRead: 9, records: 8, quarantined: 1, timeMin: '2026-11-20T09:05:00.000Z', timeMax: '2026-11-20T09:34:00.000Z' });
    const ev = await c.all<{ tunnel_ip: string; event: string; ts: string }>(
      `SELECT ts, vpn_id, tunnel_ip, event, ike_phase1_state AS p1, ike_phase2_state AS p2, dpd_enabled, nat_t_detected FROM vpn_events ORDER BY tunnel_ip, ts`,
    );
    expect(ev.every((e) => (e as unknown as { vpn_id: string }).vpn_id === A)).toBe(true);
    expect(ev.filter((e) => e.tunnel_ip === '203.0.113.10').map((e) => e.event)).toEqual([
      'rekey',
      'dpd-timeout',
      'delete-received',
      'negotiation',
      'ike-down',
      'ike-established',
    ]);
    expect(ev.filter((e) => e.tunnel_ip === '203.0.113.20').map((e) => e.event)).toEqual(['psk-mismatch', 'ike-established']);
    // event_timestamp in seconds (first two) and in milliseconds (the rest) give the same clock.
    expect(ev.filter((e) => e.tunnel_ip === '203.0.113.10').map((e) => e.ts.slice(11, 19))).toEqual(['09:10:00', '09:20:00', '09:20:01', '09:21:00', '09:21:30', '09:34:00']);
    expect(ev[0]).toMatchObject({ p1: 'established', p2: 'rekeying', dpd_enabled: true, nat_t_detected: false });
    const q = await c.all('SELECT line, reason FROM quarantine');
    expect(q).toEqual([{ line: 1, reason: 'The log message is not JSON (only the JSON output format of Site-to-Site VPN logs is read).' }]);
    const raw = await c.all<{ d: string }>("SELECT raw->>'$.details' AS d FROM vpn_events WHERE event = 'dpd-timeout'");
    expect(raw).toEqual([{ d: 'AWS tunnel DPD timed out after 3 retransmits' }]);
  });

  it('writes an event once when two exports overlap (export text after filter-log-events)', async () => {
    const c = await open();
    await c.ingest(fix('logs/tunnel-filter-log-events.json'));
    await c.ingest(fix('logs/bgp-subscription.json'));
    const r = await c.ingest(fix(`logs/export-${A}-203.0.113.10-000000.txt`));
    expect(r.result).toMatchObject({ linesRead: 5, records: 0, overlapRecords: 4, quarantined: 1 });
    expect(await c.all("SELECT count(*)::INTEGER AS n FROM vpn_events WHERE tunnel_ip = '203.0.113.10'")).toEqual([{ n: 6 }]);
  });

  it('reads get-log-events (no stream) with the tunnel from the file name', async () => {
    const c = await open();
    const r = await c.ingest(fix(`logs/${B}-198.51.100.7.get-log-events.json`));
    expect(r.result).toMatchObject({ linesRead: 3, records: 3, quarantined: 0 });
    expect(await c.all('SELECT vpn_id, tunnel_ip, log_stream, event FROM vpn_events ORDER BY ts')).toEqual([
      { vpn_id: B, tunnel_ip: '198.51.100.7', log_stream: null, event: 'phase2-down' },
      { vpn_id: B, tunnel_ip: '198.51.100.7', log_stream: null, event: 'proposal-mismatch' },
      { vpn_id: B, tunnel_ip: '198.51.100.7', log_stream: null, event: 'ike-established' },
    ]);
  });

  it('reads export-task text lines (unsorted, tunnel + BGP mixed) and quarantines a cut line', async () => {
    const c = await open();
    const r = await c.ingest(fix(`logs/export-${A}-203.0.113.10-000000.txt`));
    expect(r.detection.format).toBe('cwl-export');
    expect(r.result).toMatchObject({ linesRead: 5, records: 4, quarantined: 1 });
    expect(await c.all('SELECT event FROM vpn_events ORDER BY ts')).toEqual([{ event: 'rekey' }, { event: 'dpd-timeout' }, { event: 'delete-received' }]);
    expect(await c.all('SELECT vpn_id, tunnel_ip, type, status FROM bgp_events')).toEqual([{ vpn_id: A, tunnel_ip: '203.0.113.10', type: 'BGPStatus', status: 'DOWN' }]);
    expect(await c.all('SELECT line, reason FROM quarantine')).toEqual([{ line: 5, reason: 'Line does not hold an ISO timestamp followed by a JSON message.' }]);
  });

  it('reads a JSON array of events (--query events) and `aws logs tail` lines', async () => {
    const dir = tmpDir('tscope-tail-');
    const rec = (t: number, details: string, p1: string, p2: string) =>
      JSON.stringify({ event_timestamp: t, details, dpd_enabled: true, nat_t_detected: true, ike_phase1_state: p1, ike_phase2_state: p2 });
    const arr = join(dir, 'events.json');
    writeFileSync(arr, JSON.stringify([
      { logStreamName: `${A}-203.0.113.10`, timestamp: 1795166400000, message: rec(1795166400, 'AWS tunnel DPD timed out after 3 retransmits', 'down', 'down') },
      { logStreamName: `${A}-203.0.113.10`, timestamp: 1795166460000, message: rec(1795166460, 'AWS tunnel processed response (id=1) for IKE_AUTH', 'established', 'established') },
    ], null, 2));
    const tail = join(dir, 'tail.log');
    writeFileSync(tail, [
      `2026-11-20T09:20:00.000000+00:00 ${A}-203.0.113.20 ${rec(1795166400, 'AWS tunnel received DELETE for IKE_SA from CGW', 'down', 'down')}`,
      `2026-11-20T09:21:00.000000+00:00 ${A}-203.0.113.20 ${rec(1795166460, 'AWS tunnel processed request (id=2) for CREATE_CHILD_SA', 'established', 'established')}`,
    ].join('\n') + '\n');
    const c = await open();
    const r1 = await c.ingest(arr);
    const r2 = await c.ingest(tail);
    expect([r1.detection.format, r2.detection.format]).toEqual(['json-array', 'cwl-export']);
    expect(await c.all('SELECT tunnel_ip, event, nat_t_detected FROM vpn_events ORDER BY tunnel_ip, ts')).toEqual([
      { tunnel_ip: '203.0.113.10', event: 'dpd-timeout', nat_t_detected: true },
      { tunnel_ip: '203.0.113.10', event: 'ike-established', nat_t_detected: true },
      { tunnel_ip: '203.0.113.20', event: 'delete-received', nat_t_detected: true },
      { tunnel_ip: '203.0.113.20', event: 'ike-established', nat_t_detected: true },
    ]);
  });

  it('reads JSON lines of bare records (VpnConnectionId in the record), counting blank and bad lines', async () => {
    const c = await open();
    const r = await c.ingest(fix('logs/tunnel-records.jsonl'));
    expect(r.result).toMatchObject({ linesRead: 4, records: 2, quarantined: 2, blankLines: 1 });
    expect(await c.all('SELECT line, vpn_id, tunnel_ip FROM vpn_events ORDER BY line')).toEqual([
      { line: 1, vpn_id: B, tunnel_ip: '198.51.100.7' },
      { line: 3, vpn_id: B, tunnel_ip: '198.51.100.7' },
    ]);
    expect(await c.all('SELECT line, reason FROM quarantine ORDER BY line')).toEqual([
      { line: 4, reason: 'Line is not valid JSON.' },
      { line: 5, reason: 'Not a Site-to-Site VPN tunnel or BGP log record.' },
    ]);
  });
});

describe('Site-to-Site VPN tunnel BGP logs', () => {
  it('reads the AWS documentation example (blank-line separated objects, epoch ms, DENIED detail)', async () => {
    const c = await open();
    const r = await c.ingest(fix('conformance/tunnel-bgp-log-examples.json'));
    expect(r.detection.kind).toBe('vpn_bgp_log');
    expect(r.result).toMatchObject({ linesRead: 2, records: 2, quarantined: 0, timeMin: '2025-11-08T05:26:13.243Z', timeMax: '2025-11-08T05:40:29.641Z' });
    expect(await c.all('SELECT ts, vpn_id, tunnel_ip, resource_id, type, status, details, prefix, as_path, as_path_len, med, local_pref, next_hop_ip, weight FROM bgp_events ORDER BY ts')).toEqual([
      {
        ts: '2025-11-08T05:26:13.243Z', vpn_id: 'vpn-1234abcd', tunnel_ip: '1.2.3.4', resource_id: 'vpn-1234abcd_1.2.3.4', type: 'RouteStatus', status: 'UPDATED',
        details: 'DENIED due to: as-path contains our own AS', prefix: '172.31.0.0/16', as_path: '64512', as_path_len: 1, med: 100, local_pref: 100,
        next_hop_ip: '169.254.50.85', weight: 32768,
      },
      {
        ts: '2025-11-08T05:40:29.641Z', vpn_id: 'vpn-1234abcd', tunnel_ip: '1.2.3.4', resource_id: 'vpn-1234abcd_1.2.3.4', type: 'BGPStatus', status: 'UP',
        details: 'AWS-side peer BGP session state has changed from OpenConfirm to Established with neighbor 169.254.50.85', prefix: null, as_path: null,
        as_path_len: null, med: null, local_pref: null, next_hop_ip: null, weight: null,
      },
    ]);
  });

  it('reads a subscription payload: session down/up and an AS-path prepend seen per tunnel', async () => {
    const c = await open();
    const r = await c.ingest(fix('logs/bgp-subscription.json'));
    expect(r.result).toMatchObject({ linesRead: 7, records: 7, quarantined: 0 });
    const routes = await c.all(
      `SELECT tunnel_ip, status, as_path, as_path_len, med FROM bgp_events WHERE prefix = '10.20.0.0/16' ORDER BY ts`,
    );
    expect(routes).toEqual([
      { tunnel_ip: '203.0.113.20', status: 'ADVERTISED', as_path: '65010', as_path_len: 1, med: 100 },
      { tunnel_ip: '203.0.113.10', status: 'WITHDRAWN', as_path: '65010', as_path_len: 1, med: 100 },
      { tunnel_ip: '203.0.113.10', status: 'ADVERTISED', as_path: '65010 65010 65010', as_path_len: 3, med: 200 },
    ]);
    expect(await c.all("SELECT as_path_len FROM bgp_events WHERE prefix = '10.30.0.0/16'")).toEqual([{ as_path_len: 2 }]);
    expect(await c.all("SELECT status FROM bgp_events WHERE type = 'BGPStatus' ORDER BY ts")).toEqual([{ status: 'DOWN' }, { status: 'UP' }]);
    expect(await c.all('SELECT vpn_id, tunnel_ip, origin FROM vpn_tunnels ORDER BY tunnel_ip')).toEqual([
      { vpn_id: A, tunnel_ip: '203.0.113.10', origin: 'logs' },
      { vpn_id: A, tunnel_ip: '203.0.113.20', origin: 'logs' },
    ]);
  });

  it('tolerates a message given as a JSON string and a stream name with another separator; quarantines records without time', async () => {
    const dir = tmpDir('tscope-bgp-');
    const f = join(dir, 'events.json');
    const msg = (o: object) => JSON.stringify(o);
    writeFileSync(
      f,
      JSON.stringify({
        events: [
          { logStreamName: `${A}/203.0.113.10`, timestamp: 1795166400000, message: msg({ event_timestamp: 1795166400, type: 'RouteStatus', status: 'withdrawn', message: JSON.stringify({ prefix: '10.1.0.0/16', asPath: '' }) }) },
          { logStreamName: `${A}/203.0.113.10`, timestamp: 1795166400000, message: msg({ type: 'BGPStatus', status: 'DOWN', message: 'Hold Timer Expired' }) },
          { logStreamName: `${A}/203.0.113.10`, message: msg({ type: 'BGPStatus', status: 'UP', message: { details: 'x' } }) },
        ],
      }),
    );
    const c = await open();
    const r = await c.ingest(f);
    expect(r.result).toMatchObject({ linesRead: 3, records: 2, quarantined: 1 });
    expect(await c.all('SELECT vpn_id, tunnel_ip, status, prefix, as_path_len, details FROM bgp_events ORDER BY line')).toEqual([
      { vpn_id: A, tunnel_ip: '203.0.113.10', status: 'WITHDRAWN', prefix: '10.1.0.0/16', as_path_len: 0, details: null },
      { vpn_id: A, tunnel_ip: '203.0.113.10', status: 'DOWN', prefix: null, as_path_len: null, details: 'Hold Timer Expired' },
    ]);
    expect(await c.all('SELECT line, reason FROM quarantine')).toEqual([
      { line: 3, reason: 'The record has no usable time (event_timestamp, timestamp or CloudWatch event time).' },
    ]);
  });
});

describe('CloudWatch Logs containers of other logs', () => {
  it('are not claimed; loaded anyway, every event is quarantined with the reason', async () => {
    const c = await open();
    for (const f of ['conformance/filter-log-events.output.json', 'conformance/get-log-events.output.json']) {
      const r = await c.ingest(fix(f), {}, fix(f), vpnLogHandler);
      expect(r.result.records).toBe(0);
      expect(r.result.quarantined).toBe(r.result.linesRead);
    }
    const q = await c.all<{ raw: string; reason: string }>('SELECT raw, reason FROM quarantine ORDER BY source_id, line');
    expect(q).toHaveLength(5);
    expect(new Set(q.map((x) => x.reason))).toEqual(new Set(['The log message is not JSON (only the JSON output format of Site-to-Site VPN logs is read).']));
    expect(q[0]!.raw).toContain('Test MESSAGE1');
  });
});
