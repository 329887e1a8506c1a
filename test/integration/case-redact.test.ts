import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { listFindings } from '../../src-main/engine/analysis/findings.ts';
import { runAnalysis } from '../../src-main/engine/analysis/run.ts';
import { inCidr, PRIVATE_V4, tokensOf } from '../../src-main/engine/case/pseudonym.ts';
import { redactCase } from '../../src-main/engine/case/redact.ts';
import { CaseSession } from '../../src-main/engine/case/session.ts';
import { Db } from '../../src-main/engine/db/index.ts';

const root = mkdtempSync(join(tmpdir(), 'tscope-redact-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const file = (name: string) => join(root, `${n++}-${name}`);

const octet = fc.nat(255);
const addr = fc.oneof(
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([a, b, c]) => `172.${a}.${b}.${c}`),
  fc.tuple(octet, octet).map(([b, c]) => `192.168.${b}.${c}`),
  fc.tuple(fc.integer({ min: 11, max: 99 }), octet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`),
);
const hex = (len: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${len}}$`));
const world = fc.record({
  addrs: fc.uniqueArray(addr, { minLength: 4, maxLength: 30 }),
  v6: fc.uniqueArray(fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([a, b]) => `2600:1f18:${a.toString(16)}:${b.toString(16)}::10`), { minLength: 1, maxLength: 5 }),
  accounts: fc.uniqueArray(fc.stringMatching(/^[1-9]\d{11}$/), { minLength: 1, maxLength: 3 }),
  enis: fc.uniqueArray(hex(17).map((h) => `eni-${h}`), { minLength: 1, maxLength: 5 }),
  vpcs: fc.uniqueArray(hex(17).map((h) => `vpc-${h}`), { minLength: 1, maxLength: 2 }),
  vpn: hex(17).map((h) => `vpn-${h}`),
  attach: hex(17).map((h) => `tgw-attach-${h}`),
  cgw: hex(8).map((h) => `cgw-${h}`),
});
type World = typeof world extends fc.Arbitrary<infer T> ? T : never;

/** A case holding the world's identifiers in every kind of text column. */
async function buildCase(w: World, path: string): Promise<void> {
  const s = await CaseSession.create(path, { autosaveMs: 0 });
  try {
    await s.db.use(async (c) => {
      await c.run(
        "INSERT INTO sources (path, kind, sha256, etag) VALUES ($p, 'vpc_flows', 'x', '0123456789abcdef0123456789abcdef')",
        { p: `/home/alice/acme-incident/${w.accounts[0]}_vpcflowlogs_us-east-1_fl-0a1b2c3d_x.log.gz` },
      );
      for (let i = 0; i < w.addrs.length; i++) {
        const src = w.addrs[i]!;
        const dst = w.addrs[(i + 1) % w.addrs.length]!;
        await c.run(
          `INSERT INTO vpc_flows (source_id, line, version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, bytes, start_time, end_time, action, vpc_id, pkt_srcaddr, extra, log_stream)
           VALUES (1, $line, 5, $acct, $eni, $src, $dst, 1000, 443, 6, 100, 1763643600, 1763643660, 'ACCEPT', $vpc, $src, MAP {'next-hop': $dst}, $eni)`,
          { line: i + 1, acct: w.accounts[i % w.accounts.length]!, eni: w.enis[i % w.enis.length]!, src, dst, vpc: w.vpcs[i % w.vpcs.length]! },
        );
        await c.run("INSERT INTO routes (source_id, table_kind, table_id, destination, target_type, target_id) VALUES (1, 'tgw', 'tgw-rtb-0123456789abcdef0', $d, 'attachment', $t)", {
          d: `${src}/${[8, 16, 24, 32][i % 4]}`,
          t: w.attach,
        });
        await c.run("INSERT INTO quarantine VALUES (1, $f, $l, $raw, 'wrong field count')", {
          f: '/home/alice/acme-incident/flows.log',
          l: i + 1,
          raw: `2 ${w.accounts[0]} ${w.enis[0]} ${src} ${dst} garbage`,
        });
      }
      for (const [i, a] of w.v6.entries()) {
        await c.run("INSERT INTO vpc_flows (source_id, line, srcaddr, dstaddr, interface_id) VALUES (1, $l, $a, '2600:1f18:2c4:a601::20', $e)", { l: 1000 + i, a, e: w.enis[0]! });
      }
      await c.run(
        "INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, tunnel_index, inside_cidr, customer_gateway_id, transit_gateway_id, origin) VALUES ($v, $ip, 1, '169.254.21.40/30', $cgw, 'tgw-0e5d4c3b2a1f09876', 'config')",
        { v: w.vpn, ip: w.addrs[0]!, cgw: w.cgw },
      );
      await c.run("INSERT INTO config_objects VALUES (1, 'vpn_connection', $v, $j::JSON)", {
        v: w.vpn,
        j: JSON.stringify({
          VpnConnectionId: w.vpn,
          CustomerGatewayId: w.cgw,
          Options: { TunnelOptions: w.addrs.slice(0, 2).map((a) => ({ OutsideIpAddress: a })) },
          OwnerId: w.accounts[0],
          Tags: [{ Key: 'Name', Value: NAMES[0] }, { Key: 'CostCenter', Value: NAMES[1] }],
        }),
      });
      await c.run(
        `INSERT INTO vpc_flows (source_id, line, srcaddr, dstaddr, interface_id, ecs_cluster_name, ecs_service_name, ecs_cluster_arn, ecs_task_definition_arn)
         VALUES (1, 2000, $a, $b, $e, $cl, $sv, $cla, $sva)`,
        {
          a: w.addrs[0]!,
          b: w.addrs[1]!,
          e: w.enis[0]!,
          cl: NAMES[2],
          sv: NAMES[3],
          cla: `arn:aws:ecs:us-east-1:${w.accounts[0]}:cluster/${NAMES[2]}`,
          sva: `arn:aws:ecs:us-east-1:${w.accounts[0]}:task-definition/${NAMES[3]}:7`,
        },
      );
      await c.run(
        "INSERT INTO bgp_events (source_id, line, ts, vpn_id, tunnel_ip, type, status, prefix, next_hop_ip, raw) VALUES (1, 1, '2026-11-20T13:00:00Z', $v, $ip, 'RouteStatus', 'ADVERTISED', $p, $nh, $raw::JSON)",
        { v: w.vpn, ip: w.addrs[0]!, p: `${w.addrs[1]!}/24`, nh: w.addrs[2]!, raw: JSON.stringify({ prefix: `${w.addrs[1]!}/24`, arn: `arn:aws:ec2:us-east-1:${w.accounts[0]}:vpn-connection/${w.vpn}` }) },
      );
      await c.run(
        "INSERT INTO metric_points (source_id, namespace, metric, series_key, vpn_id, tunnel_ip, dimensions, attributed, ts, value) VALUES (1, 'AWS/VPN', 'TunnelDataIn', $k, $v, $ip, MAP {'TunnelIpAddress': $ip, 'VpnId': $v}, true, '2026-11-20T13:00:00Z', 42)",
        { k: `q_${w.addrs[0]!}`, v: w.vpn, ip: w.addrs[0]! },
      );
    });
    await s.addNote({ at: '2026-11-20T13:00:00Z', target: { type: 'tunnel', vpnId: w.vpn, tunnelIp: w.addrs[0]! }, text: `${w.addrs[0]} flapped; ask ${w.accounts[0]} owner about ${w.enis[0]}`, tags: [w.addrs[1]!] });
    await s.saveQuery('talkers', `SELECT * FROM vpc_flows WHERE srcaddr = '${w.addrs[0]}' AND interface_id = '${w.enis[0]}'`);
    await s.save();
  } finally {
    await s.close();
  }
}

async function caseMeta(file: string, key: string): Promise<string | undefined> {
  const db = await Db.open(file, { readOnly: true, migrate: false });
  try {
    return (await db.one<{ value: string }>('SELECT value FROM meta WHERE key = $k', { k: key }))?.value;
  } finally {
    await db.close();
  }
}

/** Names an organisation chose: a tag value, a cost centre, an ECS cluster and service. */
const NAMES = ['acme-payments-vpn', 'cc-treasury-7731', 'acme-prod-cluster', 'checkout-api'];

function originals(w: World): string[] {
  return [...NAMES, ...w.addrs, ...w.v6.map((a) => a.replace(/::10$/, '::10')), ...w.accounts, ...w.enis, ...w.vpcs, w.vpn, w.attach, w.cgw, 'tgw-0e5d4c3b2a1f09876', 'tgw-rtb-0123456789abcdef0'];
}

function commonPrefix(a: string, b: string): number {
  const bits = (x: string) => x.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  const x = bits(a);
  const y = bits(b);
  let i = 0;
  while (i < 32 && x[i] === y[i]) i++;
  return i;
}

describe('redacted sharing', () => {
  it('property: no original identifier survives in the output bytes; prefixes and privacy are preserved', async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const src = file('src.tscope');
        const out = file('shared.tscope');
        await buildCase(w, src);
        const s = await CaseSession.open(src, { readOnly: true, autosaveMs: 0 });
        try {
          await redactCase(s, { out });
        } finally {
          await s.close();
        }
        // The mapping, read back from the rows (line i of the original is line i of the copy).
        const a = await Db.open(src, { readOnly: true, migrate: false });
        const b = await Db.open(out, { readOnly: true, migrate: false });
        const q = 'SELECT line, srcaddr, account_id, interface_id, vpc_id FROM vpc_flows ORDER BY line';
        const before = await a.all<Record<string, string>>(q);
        const after = await b.all<Record<string, string>>(q);
        const outNotes = await b.all<{ text: string }>('SELECT text FROM annotations');
        await a.close();
        await b.close();
        expect(after.length).toBe(before.length);
        const map = new Map<string, string>();
        for (let i = 0; i < before.length; i++) {
          for (const k of ['srcaddr', 'account_id', 'interface_id', 'vpc_id']) {
            if (before[i]![k]) {
              map.set(before[i]![k]!, after[i]![k]!);
              expect(after[i]![k]!.length, k).toBe(before[i]![k]!.length > 0 && k !== 'srcaddr' ? before[i]![k]!.length : after[i]![k]!.length);
            }
          }
        }
        const images = new Set(map.values());
        // 1. No original identifier anywhere in the output file's bytes (pseudonyms that happen to
        //    equal another original are images, not leaks).
        const bytes = readFileSync(out).toString('latin1');
        const found = new Set(tokensOf(bytes).map((t) => t.value));
        const orig = new Set(originals(w).map((x) => (x.includes(':') ? tokensOf(x)[0]!.value : x)));
        for (const o of orig) if (found.has(o) && !images.has(o)) expect.fail(`${o} survived in the output bytes`);
        expect(bytes).not.toContain('alice');
        expect(bytes).not.toContain('acme-incident');
        for (const n of NAMES) expect(bytes, n).not.toContain(n);
        // 2. Prefix relations: common-prefix length of every pair is unchanged; 3. private stays private.
        const v4s = w.addrs.filter((x) => isIPv4(x));
        for (const x of v4s) {
          for (const y of v4s) expect(commonPrefix(map.get(x)!, map.get(y)!)).toBe(commonPrefix(x, y));
          for (const c of PRIVATE_V4) expect(inCidr(map.get(x)!, c)).toBe(inCidr(x, c));
        }
        // The note was rewritten with the same mapping.
        expect(outNotes[0]!.text).toContain(map.get(w.addrs[0]!)!);
      }),
      { numRuns: 5 },
    );
  });

  it('drop records / drop notes: raw tables and notes are emptied, the rest is kept and rewritten', async () => {
    const w = fc.sample(world, { numRuns: 1, seed: 42 })[0]!;
    const src = file('src.tscope');
    await buildCase(w, src);
    const s = await CaseSession.open(src, { autosaveMs: 0 });
    await s.setReview('tunnel-down-0123456789ab', { status: 'confirmed', note: `caused by ${w.addrs[0]}` });
    const out = file('lean.tscope');
    const r = await redactCase(s, { out, keepRecords: false, keepNotes: false });
    await s.close();
    expect(r.reanalyzed).toBe(false);
    expect(JSON.parse((await caseMeta(out, 'redacted'))!)).toMatchObject({ records: false, notes: false });
    expect(r.emptiedTables).toEqual(expect.arrayContaining(['vpc_flows', 'quarantine', 'config_objects', 'annotations']));
    const o = await CaseSession.open(out, { readOnly: true });
    try {
      const counts = await o.db.one<Record<string, number>>(
        'SELECT (SELECT count(*) FROM vpc_flows) AS flows, (SELECT count(*) FROM annotations) AS notes, (SELECT count(*) FROM vpn_tunnels) AS tunnels, (SELECT count(*) FROM metric_points) AS metrics, (SELECT count(*) FROM routes) AS routes',
      );
      expect(counts).toEqual({ flows: 0, notes: 0, tunnels: 1, metrics: 1, routes: w.addrs.length });
      const reviews = [...(await o.reviews()).values()];
      expect(reviews).toEqual([{ status: 'confirmed', note: '' }]);
      const t = await o.db.one<{ vpn_id: string; tunnel_ip: string; customer_gateway_id: string }>('SELECT vpn_id, tunnel_ip, customer_gateway_id FROM vpn_tunnels');
      expect(t!.vpn_id).toMatch(/^vpn-[0-9a-f]{17}$/);
      expect(t!.vpn_id).not.toBe(w.vpn);
      expect(t!.customer_gateway_id).toMatch(/^cgw-[0-9a-f]{8}$/);
      expect(t!.tunnel_ip).not.toBe(w.addrs[0]);
      const paths = await o.db.all<{ path: string }>('SELECT path FROM sources');
      expect(paths[0]!.path).toMatch(/^\d{12}_vpcflowlogs_us-east-1_fl-[0-9a-f]{8}_x\.log\.gz$/);
    } finally {
      await o.close();
    }
  });

  it('refuses (and writes nothing) when a column holds text it cannot rewrite', async () => {
    const src = file('odd.tscope');
    const s = await CaseSession.create(src, { autosaveMs: 0 });
    await s.db.run("CREATE TABLE extra_stuff (info STRUCT(ip VARCHAR))");
    await s.db.run("INSERT INTO extra_stuff VALUES ({'ip': '10.1.2.3'})");
    const out = file('never.tscope');
    await expect(redactCase(s, { out })).rejects.toMatchObject({ code: 'leak-detected', message: expect.stringContaining('extra_stuff.info') });
    await expect(redactCase(s, { out: src })).rejects.toMatchObject({ code: 'bad-argument' });
    await s.close();
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.tmp-${process.pid}`)).toBe(false);
  });

  it('findings on the redacted file match the original (same kinds and windows), and reviews follow them', async () => {
    const demo = resolve(__dirname, '../../resources/demo.tscope');
    const src = file('incident.tscope');
    if (existsSync(demo)) copyFileSync(demo, src);
    else {
      const { generateScenario } = await import('../helpers/generator/index.ts');
      const { ingestPaths } = await import('../../src-main/engine/ingest/service.ts');
      const dir = file('export');
      await generateScenario({ scenarios: ['tunnel-outage', 'sg-reject'], start: '2026-11-20T13:00:00Z', hours: 2, seed: 5, scale: 0.3 }, dir);
      const db = await Db.open(src);
      await ingestPaths(db, [dir]);
      await db.close();
    }
    const s = await CaseSession.open(src, { autosaveMs: 0 });
    try {
      await runAnalysis(await s.writable());
      const orig = await listFindings(s.db);
      expect(orig.length).toBeGreaterThan(0);
      await s.setReview(orig[0]!.id, { status: 'confirmed', note: 'seen on the customer side too' });
      await s.addNote({ at: orig[0]!.start, target: { type: 'finding', findingId: orig[0]!.id }, text: 'root cause', tags: [] });
      const out = file('incident-shared.tscope');
      const r = await redactCase(s, { out });
      expect(r.reanalyzed).toBe(true);
      const o = await CaseSession.open(out, { readOnly: true });
      try {
        const red = await listFindings(o.db);
        const shape = (fs: typeof orig) => fs.map((f) => `${f.kind} ${f.start} ${f.end}`).sort();
        expect(shape(red)).toEqual(shape(orig));
        const reviewed = red.find((f) => f.kind === orig[0]!.kind && f.start === orig[0]!.start)!;
        expect((await o.reviews()).get(reviewed.id)).toEqual({ status: 'confirmed', note: 'seen on the customer side too' });
        expect((await o.listNotes())[0]!.target).toEqual({ type: 'finding', findingId: reviewed.id });
      } finally {
        await o.close();
      }
    } finally {
      await s.close();
    }
  });
});
