/**
 * Detectors, timeline, snapshot, conversations, records, route explainer and IPC handlers on a
 * compact hand-built case (test/helpers/analysis-rows.ts buildSmallCase) with known incidents.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  explainRoutes,
  getConversation,
  getRecords,
  listFindings,
  queryConversations,
  queryTimeline,
  runAnalysis,
  snapshotAt,
} from '../../src-main/engine/analysis/index.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import { analysisHandlers } from '../../src-main/ipc/handlers/analysis.ts';
import type { HandlerContext } from '../../src-main/ipc/types.ts';
import type { Finding } from '../../src-main/shared/domain.ts';
import { SMALL as S, buildSmallCase, insertRows } from '../helpers/analysis-rows.ts';

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
const dir = mkdtempSync(join(tmpdir(), 'tscope-analysis-'));
const casePath = join(dir, 'small.tscope');
let db: Db;
let findings: Finding[];

beforeAll(async () => {
  db = await Db.open(casePath);
  await buildSmallCase(db);
  findings = (await runAnalysis(db)).findings;
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const one = (kind: string) => {
  const f = findings.filter((x) => x.kind === kind);
  expect(f.length, `${kind} in ${findings.map((x) => x.kind).join(', ')}`).toBeGreaterThan(0);
  return f[0]!;
};

describe('detectors', () => {
  it('tunnel-down: outage window from TunnelState, with the DPD and BGP lines, critical because it carried traffic', () => {
    const f = one('tunnel-down');
    expect(f.subject).toEqual({ vpn_id: S.vpn, tunnel_ip: S.t1 });
    expect([f.start, f.end]).toEqual([iso(S.t0 + 2400), iso(S.t0 + 3600)]);
    expect(f.severity).toBe('critical');
    expect(f.summary).toContain('DPD timed out after 3 retransmits');
    expect(f.summary).toContain('BGP DOWN');
    expect(f.summary).toContain('other tunnel');
  });

  it('route-change: the withdrawal and the re-advertisement on tunnel 1, not the initial table', () => {
    const rc = findings.filter((x) => x.kind === 'route-change');
    expect(rc.map((x) => [x.start, x.stats.status])).toEqual([
      [iso(S.t0 + 2402), 'WITHDRAWN'],
      [iso(S.t0 + 3596), 'ADVERTISED'],
    ]);
    expect(rc.every((x) => x.subject.tunnel_ip === S.t1 && x.severity === 'info')).toBe(true);
  });

  it('reject-burst: names service, rejected source prefix and the security group, within one bucket of the change', () => {
    const f = one('reject-burst');
    expect(f.subject).toMatchObject({ dst_addr: S.server, dst_port: 5432, protocol: 6, src_cidr: '172.16.20.40/31', interface_id: S.serverEni });
    expect(Math.abs(Date.parse(f.start) / 1000 - (S.t0 + 4800))).toBeLessThanOrEqual(300);
    expect(f.stats.likelyCause).toBe('security-group');
    expect(f.severity).toBe('warning');
    expect(f.summary).toMatch(/security group/);
  });

  it('tgw-drop: the blackhole route and its prefix', () => {
    const f = one('tgw-drop');
    expect(f.subject).toMatchObject({ attachment_id: S.vpcAtt, dst_addr: '172.16.20.0/24' });
    expect(f.stats).toMatchObject({ reason: 'blackhole', packetsLost: 60 });
    expect(f.summary).toContain('blackhole route');
  });

  it('log-gap: SKIPDATA window on the web ENI', () => {
    const f = one('log-gap');
    expect(f.subject).toEqual({ interface_id: S.webEni });
    expect(f.start).toBe(iso(S.t0 + 5400));
  });

  it('raises nothing else: no ECMP, asymmetry or half-open; the only unanswered SYNs are the blackholed ones', () => {
    expect(findings.map((f) => f.kind).filter((k) => ['ecmp-active', 'asymmetric-return', 'half-open'].includes(k))).toEqual([]);
    expect(findings.filter((f) => f.kind === 'syn-no-synack').map((f) => [f.subject.dst_addr, f.subject.dst_port, f.subject.attachment_id])).toEqual([['172.16.20.10', 443, S.vpcAtt]]);
  });

  it('every finding carries runnable evidence SQL and sample rows with file and line', async () => {
    for (const f of findings) {
      const rows = await db.all(f.evidence.sql);
      expect(rows.length, f.evidence.sql).toBeGreaterThan(0);
      expect(f.evidence.rows.length).toBeGreaterThan(0);
      for (const r of f.evidence.rows) {
        expect(r.file, f.kind).toMatch(/\.(log|json)$/);
        expect(r.line).toBeGreaterThan(0);
      }
    }
  });

  it('ids are deterministic and listFindings returns what runAnalysis stored', async () => {
    const again = await runAnalysis(db);
    expect(again.findings.map((f) => f.id)).toEqual(findings.map((f) => f.id));
    expect(await listFindings(db)).toEqual(findings);
  });
});

describe('timeline and snapshot', () => {
  it('picks a bucket from range and maxBuckets and draws tunnel metrics at their own 300 s granularity', async () => {
    const tl = await queryTimeline(db, { maxBuckets: 100 });
    expect(tl.bucketSeconds).toBe(120);
    const t1 = tl.tunnels.find((t) => t.tunnelIp === S.t1)!;
    expect(t1.state.granularitySeconds).toBe(300);
    expect(t1.state.bands.filter((b) => b.v === 0).map((b) => b.t0 / 1000)).toEqual([2400, 2700, 3000, 3300].map((x) => S.t0 + x));
    expect(t1.bytesOut.bands[0]).toEqual({ t0: S.t0 * 1000, t1: (S.t0 + 300) * 1000, v: 4_000_000 });
    expect(tl.rejects.bands.reduce((a, b) => a + b.v, 0)).toBe(20);
    expect(tl.tgwLost.bands.reduce((a, b) => a + b.v, 0)).toBe(60);
    expect(tl.events.some((e) => e.kind === 'dpd-timeout' && e.tunnelIp === S.t1 && e.ref.table === 'vpn_events')).toBe(true);
    expect(tl.events.some((e) => e.kind === 'bgp-down')).toBe(true);
    expect(tl.findings.map((f) => f.kind).sort()).toEqual(findings.map((f) => f.kind).sort());
    expect(tl.flowBytes.length).toBeGreaterThan(0);
  });

  it('coarsens for long ranges and filters by action and port', async () => {
    const tl = await queryTimeline(db, { from: iso(S.t0), to: iso(S.t0 + 7200), maxBuckets: 10, filter: { action: 'REJECT' } });
    expect(tl.bucketSeconds).toBe(900);
    expect(tl.flowBytes.flatMap((s) => s.bands).every((b) => b.v > 0)).toBe(true);
    const p = await queryTimeline(db, { maxBuckets: 50, filter: { port: 5432 } });
    expect(p.flowBytes[0]!.key).toBe('conversations:filtered');
  });

  it('snapshot during the outage: tunnel 1 down, tunnel 2 carrying, the finding active', async () => {
    const snap = await snapshotAt(db, iso(S.t0 + 3000), 300);
    expect(snap.tunnels.find((t) => t.tunnelIp === S.t1)!.state).toBe('down');
    expect(snap.tunnels.find((t) => t.tunnelIp === S.t2)).toMatchObject({ state: 'up', bytesOut: 4_000_000 });
    expect(snap.activeFindings).toContain(one('tunnel-down').id);
    expect(snap.counters.conversations).toBeGreaterThan(0);
  });
});

describe('conversations and records', () => {
  it('filters, sorts and pages', async () => {
    const rej = await queryConversations(db, { filter: { state: 'rejected' }, limit: 5 });
    expect(rej.total).toBe(20);
    expect(rej.rows).toHaveLength(5);
    expect(rej.rows[0]).toMatchObject({ server: S.server, serverPort: 5432, action: 'REJECT', capturePoints: [S.serverEni] });
    const cidr = await queryConversations(db, { filter: { cidr: '172.16.20.40/32' }, sort: { column: 'bytesRev', dir: 'desc' } });
    expect(cidr.rows.every((r) => r.client === '172.16.20.40')).toBe(true);
    expect(cidr.rows[0]!.bytesRev).toBeGreaterThanOrEqual(cidr.rows[cidr.rows.length - 1]!.bytesRev);
    const page2 = await queryConversations(db, { offset: 5, limit: 5 });
    expect(page2.offset).toBe(5);
  });

  it('capture points and path read from the text columns equal those rebuilt from the lists (files analysed before format 4)', async () => {
    const mismatched = await db.one<{ n: number; paths: number }>(
      `SELECT count(*) FILTER (WHERE capture_points_text IS DISTINCT FROM array_to_string(list_sort(list_distinct(list_concat(capture_fwd, capture_rev))), ' ')) AS n,
         count(*) FILTER (WHERE paths_text IS DISTINCT FROM array_to_string(list_sort(list_distinct(list_concat(attach_fwd, attach_rev, vpn_fwd, vpn_rev,
           CASE WHEN tunnel_fwd IS NULL THEN [] ELSE [tunnel_fwd] END, CASE WHEN tunnel_rev IS NULL THEN [] ELSE [tunnel_rev] END))), ' ')) AS paths
       FROM conversations`,
    );
    expect(mismatched).toEqual({ n: 0, paths: 0 });
    const q = { sort: { column: 'bytesFwd' as const, dir: 'desc' as const }, limit: 500 };
    const fromText = await queryConversations(db, q);
    expect(fromText.rows.some((r) => r.paths.length > 0)).toBe(true);
    expect(fromText.rows.every((r) => r.capturePoints.length > 0)).toBe(true);
    await db.run("DELETE FROM meta WHERE key = 'conv_text'");
    try {
      expect(await queryConversations(db, q)).toEqual(fromText);
    } finally {
      await db.run("INSERT INTO meta VALUES ('conv_text', '1')");
    }
  });

  it('a conversation comes with its raw lines, rebuilt in the file field order, with direction', async () => {
    const { rows } = await queryConversations(db, { filter: { port: 5432, state: 'completed' }, limit: 1 });
    const d = await getConversation(db, rows[0]!.id);
    expect(d.records.map((r) => r.direction)).toEqual(['forward', 'reverse']);
    const fwd = d.records[0]!;
    expect(fwd.file).toBe('s3/vpc/flows.log');
    expect(fwd.text.split(' ').slice(0, 14)).toEqual(['5', '-', S.serverEni, rows[0]!.client, S.server, String(rows[0]!.clientPort), '5432', '6', '3', '2000', String(Date.parse(rows[0]!.firstSeen) / 1000), String(Date.parse(rows[0]!.firstSeen) / 1000 + 30), 'ACCEPT', 'OK']);
    expect(fwd.capturePoint).toBe(S.serverEni);
  });

  it('records.get returns log events as their stored JSON', async () => {
    const [r] = await getRecords(db, [{ table: 'vpn_events', sourceId: 2, line: 1 }]);
    expect(r!.file).toBe('vpn-logs/tunnel-activity.json');
    expect(JSON.parse(r!.text)).toEqual({ details: 'AWS tunnel DPD timed out after 3 retransmits' });
  });

  it('an unknown conversation id is a clear not-found error', async () => {
    await expect(getConversation(db, 'nope')).rejects.toThrow(/not in this investigation/);
  });
});

describe('route explainer', () => {
  it('longest prefix: the static blackhole /24 beats the propagated /16 on the TGW', async () => {
    const ex = await explainRoutes(db, '172.16.20.10', iso(S.t0 + 600));
    const chosen = ex.candidates.filter((c) => c.chosen && c.table.startsWith('TGW'));
    expect(chosen.map((c) => [c.destination, c.state])).toEqual([['172.16.20.0/24', 'blackhole']]);
    expect(ex.steps.join(' ')).toMatch(/blackhole/);
  });

  it('unequal AS paths: tunnel 1 preferred, no ECMP; during the outage only tunnel 2 remains', async () => {
    const before = await explainRoutes(db, '172.16.10.0/24', iso(S.t0 + 600));
    const bgp = before.candidates.filter((c) => c.source === 'bgp');
    expect(bgp.find((c) => c.chosen)!.tunnelIp).toBe(S.t1);
    expect(bgp.find((c) => c.tunnelIp === S.t2)!.reason).toMatch(/Longer AS path/);
    expect(before.ecmp.applies).toBe(false);
    const during = await explainRoutes(db, '172.16.10.0/24', iso(S.t0 + 3000));
    expect(during.candidates.filter((c) => c.source === 'bgp' && c.chosen).map((c) => c.tunnelIp)).toEqual([S.t2]);
  });

  it('equal AS-path lengths with VpnEcmpSupport enabled: ECMP over both tunnels', async () => {
    await insertRows(db, 'bgp_events', 'vpn-logs/bgp-2.json', [
      { ts: iso(S.t0 + 7000), vpn_id: S.vpn, tunnel_ip: S.t2, resource_id: `${S.vpn}_${S.t2}`, type: 'RouteStatus', status: 'UPDATED', prefix: '172.16.0.0/16', as_path: '65010', as_path_len: 1, med: 200, raw: '{}' },
    ]);
    const ex = await explainRoutes(db, '172.16.10.0/24', iso(S.t0 + 7100));
    expect(ex.ecmp.applies).toBe(true);
    expect(ex.candidates.filter((c) => c.source === 'bgp' && c.chosen).map((c) => c.tunnelIp).sort()).toEqual([S.t1, S.t2]);
    await db.run("DELETE FROM bgp_events WHERE source_id = (SELECT max(source_id) FROM sources)");
  });

  it('rejects what is not a prefix', async () => {
    await expect(explainRoutes(db, 'not-an-ip')).rejects.toThrow(/not an IP address or CIDR/);
  });
});

describe('IPC handlers', () => {
  it('analyse a never-analysed case on first look and emit analysis.done', async () => {
    const fresh = await Db.open(':memory:');
    try {
      await buildSmallCase(fresh);
      const events: string[] = [];
      const ctx = { ws: { requireDb: () => fresh, analyze: () => runAnalysis(fresh) }, emit: (e: string) => events.push(e) } as unknown as HandlerContext;
      const list = await analysisHandlers['findings.list']({}, ctx);
      expect(list.map((f) => f.kind)).toContain('tunnel-down');
      expect(events).toEqual(['analysis.done']);
      const page = await analysisHandlers['conversations.query']({ offset: 0, limit: 2, sort: { column: 'firstSeen', dir: 'asc' } }, ctx);
      expect(page.rows).toHaveLength(2);
      const run = await analysisHandlers['analysis.run']({}, ctx);
      expect(run.findings).toBe(list.length);
      const ex = await analysisHandlers['routes.explain']({ prefix: '172.16.0.0/16' }, ctx);
      expect(ex.candidates.length).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
  });
});

describe('CLI', () => {
  it('analyze --json prints findings sorted by start; explain-routes --json explains', async () => {
    await db.close();
    try {
      const bin = join(process.cwd(), 'src-main/cli/bin.mjs');
      const a = spawnSync(process.execPath, [bin, 'analyze', casePath, '--json'], { encoding: 'utf8' });
      expect(a.status, a.stderr).toBe(0);
      const out = JSON.parse(a.stdout) as { findings: Finding[] };
      expect(out.findings.map((f) => f.kind)).toContain('reject-burst');
      expect(out.findings.map((f) => f.start)).toEqual([...out.findings.map((f) => f.start)].sort());
      const text = spawnSync(process.execPath, [bin, 'analyze', casePath], { encoding: 'utf8' });
      expect(text.stdout).toMatch(/CRITICAL tunnel-down/);
      const r = spawnSync(process.execPath, [bin, 'explain-routes', casePath, '--prefix', '172.16.10.0/24', '--at', iso(S.t0 + 600), '--json'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).ecmp.applies).toBe(false);
      const bad = spawnSync(process.execPath, [bin, 'explain-routes', casePath], { encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--prefix/);
    } finally {
      db = await Db.open(casePath);
    }
  }, 120_000);
});
