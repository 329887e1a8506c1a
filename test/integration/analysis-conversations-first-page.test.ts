/**
 * The first page of a new filter and its count from one aggregate per branch (count-and-page.ts)
 * must give exactly what the two-query path gives (the same filter again: its count is cached, so
 * it takes that path) and what a plain ORDER BY ... LIMIT ... OFFSET gives: rows, order and total,
 * for every sortable column both ways, with NULLs, ties, IPv6 rows, filters of 1 to 4 branches,
 * offsets past the first page, keys above 2^53 and a column too wide for a BIGINT key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { queryConversations, warmConversations } from '../../src-main/engine/analysis/index.ts';
import { ipv4Num } from '../../src-main/engine/analysis/sql/build.ts';
import { conversationFilter } from '../../src-main/engine/analysis/sql/filters.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import type { ConversationRow, FlowFilter } from '../../src-main/shared/domain.ts';
import { Rng } from '../helpers/generator/prng.ts';

/** Which way each countAndPage call went: no key (null), count only (IPv6 in the page), or both. */
const seen = vi.hoisted(() => ({ outcomes: [] as string[] }));
vi.mock('../../src-main/engine/analysis/count-and-page.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src-main/engine/analysis/count-and-page.ts')>();
  return {
    ...real,
    countAndPage: async (...args: Parameters<typeof real.countAndPage>) => {
      const r = await real.countAndPage(...args);
      seen.outcomes.push(r === null ? 'none' : r.page === null ? 'count-only' : 'both');
      return r;
    },
  };
});

const T0 = 1_767_225_600;
const TUNNEL = '203.0.113.10';
const WIDE = 2n ** 60n; // one bytes_rev: no BIGINT key fits it
const BIG = 2 ** 50; // packets_rev around it: keys above 2^53

/** Deterministic rows (the generator's seeded PRNG), in first_seen order like runAnalysis writes them. */
function rowsSql(n: number, v6Share: number): string {
  const rng = new Rng(11);
  const rnd = () => rng.next();
  const pick = <T,>(xs: readonly T[]) => rng.pick(xs);
  const v4 = ['10.0.0.9', '10.0.0.10', '10.0.0.100', '10.0.1.5', '172.16.20.40', '192.168.1.2'];
  const v6 = ['2001:db8::5', '2001:db8:1::9', 'fd00::1'];
  const states = ['completed', 'half-open', 'syn-no-synack', 'rejected', 'reset', 'established', 'no-tcp', 'unknown'];
  const q = (s: string | null) => (s === null ? 'NULL' : `'${s}'`);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const proto = pick([6, 6, 6, 17, 1, 50]);
    const hosts = rnd() < v6Share ? v6 : v4;
    const portless = proto === 1 || proto === 50;
    const fields = [
      i, q(pick(hosts)), portless ? 'NULL' : pick([443, 22, 5432, 51234]), q(pick(hosts)), portless ? 'NULL' : pick([443, 22, 5432]), proto,
      q(pick(states)), q(pick(['ACCEPT', 'ACCEPT', 'REJECT', 'MIXED', null])),
      T0 + i * 60 + (i % 7) * 8, T0 + i * 60 + Math.floor(rnd() * 5000),
      Math.floor(rnd() * 5) * 1000, i === 17 ? WIDE.toString() : Math.floor(rnd() * 3) * 700,
      pick([1, 2, 3, 2]), BIG + pick([0, 1, 3]),
      proto === 6 ? pick([2, 18, 19, 27]) : 'NULL', pick([0, 2, 18, 'NULL']), // 0: below it, a descending key is negative
      q(rnd() < 0.2 ? TUNNEL : null), q(rnd() < 0.2 ? TUNNEL : null),
    ];
    out.push(`(${fields.join(', ')})`);
  }
  return `INSERT INTO conversations BY NAME
    SELECT md5(i::VARCHAR) AS conv_id, proto AS protocol, client, cport AS client_port, server, sport AS server_port,
      least(client, server) AS lo_addr, greatest(client, server) AS hi_addr, 0 AS seq, state, action,
      fs AS first_seen, ls AS last_seen, bf::BIGINT AS bytes_fwd, br::BIGINT AS bytes_rev, pf AS packets_fwd, pr::BIGINT AS packets_rev,
      ff AS flags_fwd, fr AS flags_rev, ['eni-' || (i % 3)] AS capture_fwd, []::VARCHAR[] AS capture_rev,
      []::VARCHAR[] AS attach_fwd, []::VARCHAR[] AS attach_rev, []::VARCHAR[] AS vpn_fwd, []::VARCHAR[] AS vpn_rev,
      tf AS tunnel_fwd, tr AS tunnel_rev, ${ipv4Num('client')} AS client_v4, ${ipv4Num('server')} AS server_v4
    FROM (VALUES ${out.join(', ')}) v(i, client, cport, server, sport, proto, state, action, fs, ls, bf, br, pf, pr, ff, fr, tf, tr)
    ORDER BY i`;
}

const dir = mkdtempSync(join(tmpdir(), 'tscope-convfirst-'));
const dbs: Db[] = [];
afterAll(async () => {
  for (const db of dbs) await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openCase(name: string, v6Share: number): Promise<Db> {
  const db = await Db.open(join(dir, `${name}.tscope`));
  dbs.push(db);
  await db.run(rowsSql(400, v6Share));
  await db.run(`INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, tunnel_index) VALUES ('vpn-1', '${TUNNEL}', 1)`);
  await db.run(`INSERT INTO meta VALUES ('analyzed_at', 'run-0'), ('conv_max_span_s', '5000')`);
  return db;
}

let run = 0;
/** A new analysis run: every count is new again; its ranges are known once warmed. */
async function newRun(db: Db, warm = true): Promise<void> {
  await db.run(`UPDATE meta SET value = 'run-' || $n WHERE key = 'analyzed_at'`, { n: ++run });
  if (warm) await warmConversations(db);
}

const SORT_SQL: Record<keyof ConversationRow & string, string> = {
  id: 'conv_id', protocol: 'protocol', client: 'client', clientPort: 'client_port', server: 'server', serverPort: 'server_port',
  state: 'state', firstSeen: 'first_seen', lastSeen: 'last_seen', bytesFwd: 'bytes_fwd', bytesRev: 'bytes_rev',
  packetsFwd: 'packets_fwd', packetsRev: 'packets_rev', flagsFwd: 'flags_fwd', flagsRev: 'flags_rev', action: 'action',
  capturePoints: '', paths: '',
};
const COLUMNS = Object.keys(SORT_SQL).filter((k) => SORT_SQL[k as keyof typeof SORT_SQL]) as (keyof ConversationRow & string)[];

/** The plain reference: addresses IPv4 by number, then IPv6 by text (descending: the exact reverse); NULLs last; ties by rowid. */
async function reference(db: Db, filter: FlowFilter, column: string, d: 'asc' | 'desc', offset: number, limit: number) {
  const f = conversationFilter(filter, new Map([[TUNNEL, 'vpn-1']]), 5000);
  const col = SORT_SQL[column as keyof typeof SORT_SQL];
  const order = col === 'client' || col === 'server' ? `(${col}_v4 IS NULL) ${d}, ${col}_v4 ${d}, ${col} ${d} NULLS LAST, rowid` : `${col} ${d} NULLS LAST, rowid`;
  const rows = await db.all<{ conv_id: string }>(`SELECT conv_id FROM conversations WHERE ${f.where} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`, f.params);
  const total = await db.one<{ n: number }>(`SELECT count(*) AS n FROM conversations WHERE ${f.where}`, f.params);
  return { total: Number(total?.n), ids: rows.map((r) => r.conv_id) };
}

const FILTERS: FlowFilter[] = [
  { port: 443 }, // 2 branches
  { cidr: '10.0.0.0/24' }, // 2 branches
  { cidr: '2001:db8::/32' }, // IPv6 only
  { path: TUNNEL, port: 22 }, // 4 branches
  { protocol: 1 }, // NULL ports and flags only
];

/** Checks every filter × column × direction × offset; returns the path each query took, per sort. */
async function compareAll(db: Db, columns = COLUMNS): Promise<Map<string, string[]>> {
  const paths = new Map<string, string[]>();
  for (const filter of FILTERS) {
    for (const column of columns) {
      for (const d of ['asc', 'desc'] as const) {
        for (const offset of [0, 140]) {
          const q = { filter, sort: { column, dir: d }, offset, limit: 25 };
          const label = JSON.stringify(q);
          await newRun(db);
          seen.outcomes.length = 0;
          const first = await queryConversations(db, q);
          const how = seen.outcomes.join(',');
          paths.set(`${column} ${d}`, [...(paths.get(`${column} ${d}`) ?? []), how]);
          const again = await queryConversations(db, q); // count cached: the two-query path
          expect(seen.outcomes.join(','), label).toBe(how);
          const want = await reference(db, filter, column, d, offset, 25);
          expect(first.total, label).toBe(want.total);
          expect(first.rows.map((r) => r.id), label).toEqual(want.ids);
          expect(again.total, label).toBe(first.total);
          expect(again.rows, label).toEqual(first.rows);
        }
      }
    }
  }
  return paths;
}

describe('count and first page of a new filter in one scan', () => {
  it('IPv4 and IPv6 rows: same rows, order and total as the two-query path and plain SQL, for every sort', async () => {
    const db = await openCase('mixed', 0.25);
    const paths = await compareAll(db);
    const all = (key: string) => new Set(paths.get(key));
    // Integer keys that fit: one scan, every time.
    for (const key of ['protocol asc', 'clientPort desc', 'serverPort asc', 'state asc', 'state desc', 'bytesFwd desc', 'packetsFwd asc', 'packetsRev desc', 'flagsFwd asc', 'flagsRev desc']) {
      expect(all(key), key).toEqual(new Set(['both']));
    }
    // Ascending addresses: IPv6 rows in the page (the IPv6 filter, late offsets) are paged the old way, the count kept.
    for (const key of ['client asc', 'server asc']) expect(all(key), key).toEqual(new Set(['both', 'count-only']));
    // Text, times (the page reads a few row groups), a value too wide, descending addresses with IPv6 rows first.
    for (const key of ['id asc', 'action desc', 'firstSeen asc', 'lastSeen desc', 'bytesRev asc', 'bytesRev desc', 'client desc', 'server desc']) {
      expect(all(key), key).toEqual(new Set(['none']));
    }
  }, 120_000);

  it('IPv4 only: descending address sorts take the one scan too', async () => {
    const db = await openCase('v4only', 0);
    const paths = await compareAll(db, ['client', 'server', 'bytesFwd']);
    for (const key of ['client asc', 'client desc', 'server asc', 'server desc']) expect(new Set(paths.get(key)), key).toEqual(new Set(['both']));
  }, 120_000);

  it('the unfiltered table, and a new analysis not yet warmed, keep the two-query path', async () => {
    const db = dbs[0]!;
    await newRun(db);
    seen.outcomes.length = 0;
    const whole = await queryConversations(db, { sort: { column: 'bytesFwd', dir: 'desc' }, limit: 25 });
    expect(seen.outcomes).toEqual([]);
    expect(whole.total).toBe(400);
    await newRun(db, false);
    const q = { filter: { port: 443 }, sort: { column: 'packetsRev', dir: 'desc' }, offset: 5, limit: 25 } as const;
    const page = await queryConversations(db, q);
    expect(seen.outcomes).toEqual(['none']);
    const want = await reference(db, q.filter, 'packetsRev', 'desc', 5, 25);
    expect(page.rows.map((r) => r.id)).toEqual(want.ids);
    expect(page.total).toBe(want.total);
  });
});
