/**
 * The conversation page and the filtered timeline against a reference written in plain TypeScript,
 * on a hand-made conversations table whose rows sit on every edge of the SQL: a port on the client
 * side only / on both sides / NULL server port (ICMP), a CIDR on either side or both, IPv6
 * endpoints, 10.0.0.9 vs 10.0.0.10 (numeric vs text order), MIXED actions and tunnel paths. Every
 * filter × sort × offset must give the reference's rows, in its order, and its total.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryConversations, queryTimeline } from '../../src-main/engine/analysis/index.ts';
import { buildRollupConversations, ipv4Num } from '../../src-main/engine/analysis/sql/build.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import type { ConversationQuery, FlowFilter } from '../../src-main/shared/domain.ts';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const TUNNEL = '203.0.113.10';
const iso = (s: number) => new Date(s * 1000).toISOString();
/** Not on whole minutes, so the timeline's part-minute at the end of a window is exercised. */
const firstSeen = (i: number) => T0 + i * 60 + (i % 7) * 8;

interface Conv {
  i: number;
  client: string;
  cport: number | null;
  server: string;
  sport: number | null;
  proto: number;
  state: string;
  action: string | null;
  bytes: number;
  tunnelFwd: string | null;
  tunnelRev: string | null;
}

/** Deterministic rows (mulberry32), in first_seen order like runAnalysis writes them. */
function makeRows(n: number): Conv[] {
  let a = 7;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const hosts = ['10.0.0.9', '10.0.0.10', '10.0.0.100', '10.0.1.5', '9.255.255.255', '172.16.20.40', '192.168.1.2', '2001:db8::5', '2001:db8:1::9', 'fd00::1'];
  const ports = [443, 22, 5432, 51234, 443, 33000];
  const states = ['completed', 'half-open', 'syn-no-synack', 'rejected', 'reset', 'established', 'no-tcp', 'unknown'];
  const rows: Conv[] = [];
  for (let i = 0; i < n; i++) {
    const proto = pick([6, 6, 6, 17, 1]);
    const v6 = rnd() < 0.25;
    const client = v6 ? pick(hosts.slice(7)) : pick(hosts.slice(0, 7));
    const server = v6 ? pick(hosts.slice(7)) : pick(hosts.slice(0, 7));
    rows.push({
      i,
      client,
      cport: proto === 1 ? null : pick(ports),
      server,
      sport: proto === 1 ? null : pick(ports),
      proto,
      state: pick(states),
      action: pick(['ACCEPT', 'ACCEPT', 'REJECT', 'MIXED', null]),
      bytes: Math.floor(rnd() * 5) * 1000, // many ties: the order must fall back to rowid
      tunnelFwd: rnd() < 0.2 ? TUNNEL : null,
      tunnelRev: rnd() < 0.2 ? TUNNEL : null,
    });
  }
  return rows;
}

const ROWS = makeRows(400);

const v4num = (ip: string): number | null => (ip.includes(':') ? null : ip.split('.').reduce((n, o) => n * 256 + Number(o), 0));
function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  if (cidr.includes(':')) return Number(len) < 128 ? ip.startsWith(base!.replace(/::$/, '').replace(/:+$/, '') + ':') : ip === base;
  const n = v4num(ip);
  if (n === null) return false;
  const size = 2 ** (32 - Number(len ?? 32));
  const lo = Math.floor(v4num(base!)! / size) * size;
  return n >= lo && n < lo + size;
}
function matches(r: Conv, f: FlowFilter): boolean {
  if (f.port !== undefined && r.sport !== f.port && r.cport !== f.port) return false;
  if (f.cidr && !inCidr(r.client, f.cidr) && !inCidr(r.server, f.cidr)) return false;
  if (f.protocol !== undefined && r.proto !== f.protocol) return false;
  if (f.action && r.action !== f.action && r.action !== 'MIXED') return false;
  if (f.state && r.state !== f.state) return false;
  if (f.path && r.tunnelFwd !== f.path && r.tunnelRev !== f.path) return false;
  return true;
}
/** Addresses: IPv4 by number, then IPv6 by text; descending is the exact reverse; ties by insertion order. */
function compare(col: 'client' | 'server' | 'bytesFwd' | 'serverPort' | 'state', dir: 'asc' | 'desc') {
  const key = (r: Conv): [number, number | string | null] => {
    if (col === 'bytesFwd') return [0, r.bytes];
    if (col === 'state') return [0, r.state];
    if (col === 'serverPort') return [0, r.sport];
    const ip = r[col];
    const n = v4num(ip);
    return n === null ? [1, ip] : [0, n];
  };
  const s = dir === 'asc' ? 1 : -1;
  return (a: Conv, b: Conv) => {
    const [ga, ka] = key(a);
    const [gb, kb] = key(b);
    if (ka === null || kb === null) {
      if (ka !== kb) return ka === null ? 1 : -1; // NULLS LAST either way
    } else if (ga !== gb) return s * (ga - gb);
    else if (ka !== kb) return s * (ka < kb ? -1 : 1);
    return a.i - b.i;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'tscope-convq-'));
let db: Db;

beforeAll(async () => {
  db = await Db.open(join(dir, 'conv.tscope'));
  const values = ROWS.map(
    (r) =>
      `(${r.i}, '${r.client}', ${r.cport ?? 'NULL'}, '${r.server}', ${r.sport ?? 'NULL'}, ${r.proto}, '${r.state}', ${r.action ? `'${r.action}'` : 'NULL'}, ${r.bytes}, ${r.tunnelFwd ? `'${r.tunnelFwd}'` : 'NULL'}, ${r.tunnelRev ? `'${r.tunnelRev}'` : 'NULL'})`,
  );
  await db.run(`
    INSERT INTO conversations BY NAME
    SELECT md5(i::VARCHAR) AS conv_id, proto AS protocol, client, cport AS client_port, server, sport AS server_port,
      least(client, server) AS lo_addr, greatest(client, server) AS hi_addr, 0 AS seq, state,
      ${T0} + i * 60 + (i % 7) * 8 AS first_seen, ${T0} + i * 60 + (i % 7) * 8 + 30 AS last_seen,
      bytes AS bytes_fwd, bytes // 2 AS bytes_rev, 1 AS packets_fwd, 1 AS packets_rev, action,
      ['eni-' || (i % 3)] AS capture_fwd, []::VARCHAR[] AS capture_rev, []::VARCHAR[] AS attach_fwd, []::VARCHAR[] AS attach_rev,
      []::VARCHAR[] AS vpn_fwd, []::VARCHAR[] AS vpn_rev, tf AS tunnel_fwd, tr AS tunnel_rev,
      ${ipv4Num('client')} AS client_v4, ${ipv4Num('server')} AS server_v4
    FROM (VALUES ${values.join(', ')}) v(i, client, cport, server, sport, proto, state, action, bytes, tf, tr)
    ORDER BY i`);
  await db.run(buildRollupConversations);
  await db.run(`INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, tunnel_index) VALUES ('vpn-1', '${TUNNEL}', 1)`);
  await db.run(`INSERT INTO meta VALUES ('analyzed_at', 'test'), ('conv_max_span_s', '30')`);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

const FILTERS: FlowFilter[] = [
  {},
  { port: 443 },
  { port: 22, protocol: 6 },
  { cidr: '10.0.0.0/24' },
  { cidr: '10.0.0.9/32' },
  { cidr: '172.16.20.40/32', port: 443 },
  { cidr: '2001:db8::/32' },
  { cidr: '2001:db8::5' },
  { action: 'REJECT' },
  { cidr: '10.0.0.0/8', action: 'ACCEPT', port: 5432 },
  { path: TUNNEL },
  { path: TUNNEL, port: 443, cidr: '10.0.0.0/16' },
  { state: 'half-open', from: iso(T0 + 60 * 50), to: iso(T0 + 60 * 300) },
];
const SORTS = [
  { column: 'client', dir: 'asc' },
  { column: 'client', dir: 'desc' },
  { column: 'server', dir: 'asc' },
  { column: 'server', dir: 'desc' },
  { column: 'bytesFwd', dir: 'desc' },
  { column: 'serverPort', dir: 'asc' },
  { column: 'state', dir: 'asc' },
  { column: 'state', dir: 'desc' },
] as const;

describe('conversation page against the reference', () => {
  it('every filter, sort and offset: same rows, same order, same total', async () => {
    let nonEmpty = 0;
    for (const filter of FILTERS) {
      const want = ROWS.filter((r) => matches(r, filter) && (!filter.from || firstSeen(r.i) + 30 >= Date.parse(filter.from) / 1000) && (!filter.to || firstSeen(r.i) < Date.parse(filter.to) / 1000));
      if (want.length > 0) nonEmpty++;
      for (const sort of SORTS) {
        const ordered = [...want].sort(compare(sort.column, sort.dir));
        for (const offset of [0, 7, 30]) {
          const q: ConversationQuery = { filter, sort: { ...sort }, offset, limit: 25 };
          const page = await queryConversations(db, q);
          expect(page.total, JSON.stringify(q)).toBe(want.length);
          expect(page.rows.map((r) => r.id), JSON.stringify(q)).toEqual(ordered.slice(offset, offset + 25).map((r) => md5Of(r.i)));
        }
      }
    }
    expect(nonEmpty).toBeGreaterThanOrEqual(FILTERS.length - 1);
  });

  it('port on the client side only, on both sides, and never for a NULL port', async () => {
    const p = await queryConversations(db, { filter: { port: 443 }, limit: 5000 });
    const clientOnly = p.rows.filter((r) => r.clientPort === 443 && r.serverPort !== 443);
    const both = p.rows.filter((r) => r.clientPort === 443 && r.serverPort === 443);
    expect(clientOnly.length).toBeGreaterThan(0);
    expect(both.length).toBeGreaterThan(0);
    expect(new Set(p.rows.map((r) => r.id)).size).toBe(p.rows.length); // a row matching both sides comes once
    expect(p.rows.every((r) => r.clientPort === 443 || r.serverPort === 443)).toBe(true);
  });

  it('CIDR on either side, once when both sides match; IPv6 prefixes', async () => {
    const p = await queryConversations(db, { filter: { cidr: '10.0.0.0/24' }, limit: 5000 });
    const c = (ip: string) => ip.startsWith('10.0.0.');
    expect(p.rows.some((r) => c(r.client) && !c(r.server))).toBe(true);
    expect(p.rows.some((r) => !c(r.client) && c(r.server))).toBe(true);
    expect(p.rows.some((r) => c(r.client) && c(r.server))).toBe(true);
    expect(new Set(p.rows.map((r) => r.id)).size).toBe(p.rows.length);
    const v6 = await queryConversations(db, { filter: { cidr: '2001:db8::/32' }, limit: 5000 });
    expect(v6.total).toBeGreaterThan(0);
    expect(v6.rows.every((r) => r.client.startsWith('2001:db8:') || r.server.startsWith('2001:db8:'))).toBe(true);
  });

  it('addresses sort numerically (10.0.0.9 before 10.0.0.10), IPv6 after IPv4, descending reversed', async () => {
    const asc = await queryConversations(db, { sort: { column: 'client', dir: 'asc' }, limit: 5000 });
    const distinct = [...new Set(asc.rows.map((r) => r.client))];
    expect(distinct).toEqual(['9.255.255.255', '10.0.0.9', '10.0.0.10', '10.0.0.100', '10.0.1.5', '172.16.20.40', '192.168.1.2', '2001:db8:1::9', '2001:db8::5', 'fd00::1']);
    const desc = await queryConversations(db, { sort: { column: 'client', dir: 'desc' }, limit: 5000 });
    expect([...new Set(desc.rows.map((r) => r.client))]).toEqual([...distinct].reverse());
  });

  it('pages across offsets are consistent: consecutive pages join into the one long page', async () => {
    for (const [filter, sort] of [
      [{ port: 443 }, { column: 'server', dir: 'desc' }],
      [{ cidr: '10.0.0.0/24' }, { column: 'bytesFwd', dir: 'desc' }],
      [{}, { column: 'client', dir: 'asc' }],
    ] as const) {
      const long = await queryConversations(db, { filter, sort, offset: 3, limit: 60 });
      const pages = [];
      for (let o = 3; o < 63; o += 12) pages.push(...(await queryConversations(db, { filter, sort, offset: o, limit: 12 })).rows);
      expect(pages.map((r) => r.id)).toEqual(long.rows.map((r) => r.id));
      expect(new Set(pages.map((r) => r.id)).size).toBe(pages.length);
    }
  });
});

describe('filtered timeline', () => {
  it('bytes of matching conversations per bucket, each conversation once, to a window end inside a minute', async () => {
    const filters: FlowFilter[] = [
      { port: 443 },
      { port: 443, state: 'reset', action: 'ACCEPT' },
      { port: 22, protocol: 6 },
      { port: 51234 }, // above the rollup's server ports: scanned on both sides
      { cidr: '10.0.0.0/24' },
      { cidr: '172.16.20.40/32', port: 443 },
      { cidr: '2001:db8::/32' },
      { path: TUNNEL, port: 443 },
      // Action and state narrow the bytes but not the state lanes (one scan computes both).
      { cidr: '10.0.0.0/24', action: 'ACCEPT', state: 'half-open' },
      { path: TUNNEL, port: 443, action: 'REJECT' },
    ];
    // Window ends just after a server-port-443 conversation that starts inside a minute (the
    // rollup answers whole minutes only; the rest must come from conversations).
    const tails = ROWS.filter((r) => r.sport === 443 && r.i % 7 > 0 && r.i > 100).slice(0, 3).map((r) => firstSeen(r.i) + 1);
    expect(tails).toHaveLength(3);
    for (const to of [firstSeen(ROWS.length), firstSeen(250) - 17, ...tails]) {
      for (const filter of filters) {
        const tl = await queryTimeline(db, { from: iso(T0), to: iso(to), maxBuckets: 2000, filter });
        const s = tl.flowBytes.find((x) => x.key === 'conversations:filtered')!;
        const inWindow = (r: Conv) => firstSeen(r.i) < to;
        const want = ROWS.filter((r) => inWindow(r) && matches(r, filter));
        const q = JSON.stringify({ filter, to });
        expect(s.bands.reduce((n, b) => n + b.v, 0), q).toBe(want.reduce((n, r) => n + r.bytes + Math.floor(r.bytes / 2), 0));
        // Per bucket too (bucket = first_seen at the lane's granularity).
        const per = new Map<number, number>();
        for (const r of want) {
          const b = (firstSeen(r.i) - (firstSeen(r.i) % tl.bucketSeconds)) * 1000;
          per.set(b, (per.get(b) ?? 0) + r.bytes + Math.floor(r.bytes / 2));
        }
        expect(new Map(s.bands.map((b) => [b.t0, b.v])), q).toEqual(per);
        // halfOpen/synNoSynAck come from conversations when an address or path is set: counts per
        // state, under the filter without its action and state (the lanes show every state).
        if (filter.cidr || filter.path) {
          const lanes = ROWS.filter((r) => inWindow(r) && matches(r, { ...filter, action: undefined, state: undefined }));
          for (const [lane, state] of [[tl.halfOpen, 'half-open'], [tl.synNoSynAck, 'syn-no-synack']] as const) {
            expect(lane.bands.reduce((n, b) => n + b.v, 0), q).toBe(lanes.filter((r) => r.state === state).length);
          }
        }
      }
    }
  });
});

/** conv_id is md5(i::VARCHAR) in the table above. */
const md5Of = (i: number) => createHash('md5').update(String(i)).digest('hex');
