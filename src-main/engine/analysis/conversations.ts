/** Conversation list and detail, and raw records by reference (reconstructed in the source's field order). */
import type { Conn, Db } from '../db/index.ts';
import type { ConversationDetail, ConversationPage, ConversationQuery, ConversationRow, RawRecord, RecordRef } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { countAndPage, IP_SORT, learnSortRanges, stateRank } from './count-and-page.ts';
import { loadTunnels } from './run.ts';
import { conversationFilter, type SqlParams } from './sql/filters.ts';
import { isoS, only } from './util.ts';

const SORTABLE: Partial<Record<keyof ConversationRow, string>> = {
  id: 'conv_id',
  protocol: 'protocol',
  client: 'client',
  clientPort: 'client_port',
  server: 'server',
  serverPort: 'server_port',
  state: 'state',
  firstSeen: 'first_seen',
  lastSeen: 'last_seen',
  bytesFwd: 'bytes_fwd',
  bytesRev: 'bytes_rev',
  packetsFwd: 'packets_fwd',
  packetsRev: 'packets_rev',
  flagsFwd: 'flags_fwd',
  flagsRev: 'flags_rev',
  action: 'action',
};

const SCALARS = `conv_id, protocol, client, client_port, server, server_port, state, first_seen, last_seen,
  bytes_fwd, bytes_rev, packets_fwd, packets_rev, flags_fwd, flags_rev, action`;

/**
 * The row's columns. Capture points and path come from the text columns the analysis writes
 * (migration 004: reading them is half the cost of decoding the six lists), or, in a file analysed
 * before they existed, from the lists.
 */
const columns = (text: boolean) =>
  text
    ? `${SCALARS}, string_split(nullif(capture_points_text, ''), ' ') AS cps, string_split(nullif(paths_text, ''), ' ') AS paths`
    : `${SCALARS},
  list_sort(list_distinct(list_concat(capture_fwd, capture_rev))) AS cps,
  list_sort(list_distinct(list_concat(attach_fwd, attach_rev, vpn_fwd, vpn_rev,
    CASE WHEN tunnel_fwd IS NULL THEN [] ELSE [tunnel_fwd] END, CASE WHEN tunnel_rev IS NULL THEN [] ELSE [tunnel_rev] END))) AS paths`;

function toRow(r: Record<string, unknown>): ConversationRow {
  return {
    id: String(r.conv_id),
    protocol: Number(r.protocol),
    client: String(r.client),
    clientPort: r.client_port == null ? null : Number(r.client_port),
    server: String(r.server),
    serverPort: r.server_port == null ? null : Number(r.server_port),
    state: r.state as ConversationRow['state'],
    firstSeen: isoS(Number(r.first_seen)),
    lastSeen: isoS(Number(r.last_seen)),
    bytesFwd: Number(r.bytes_fwd),
    bytesRev: Number(r.bytes_rev),
    packetsFwd: Number(r.packets_fwd),
    packetsRev: Number(r.packets_rev),
    flagsFwd: r.flags_fwd == null ? null : Number(r.flags_fwd),
    flagsRev: r.flags_rev == null ? null : Number(r.flags_rev),
    action: (r.action as ConversationRow['action']) ?? null,
    capturePoints: (r.cps as string[]) ?? [],
    paths: (r.paths as string[]) ?? [],
  };
}

async function tunnelVpnMap(c: Conn): Promise<Map<string, string>> {
  return new Map((await loadTunnels(c)).map((t) => [t.tunnelIp, t.vpnId]));
}

interface AnalysisFacts {
  analyzedAt: string;
  /** The text display columns are filled (migration 004). */
  text: boolean;
  /** The longest conversation in seconds (meta conv_max_span_s), or null on a case analysed before it existed. */
  maxSpanS: number | null;
  tunnelVpn: Map<string, string>;
}

/** Per open case: the tunnels of the last analysis, so a page does not read them again each time. */
const tunnelsSeen = new WeakMap<Db, { analyzedAt: string; map: Map<string, string> }>();

/** What every page needs from meta, in one statement, and the tunnel map (re-read after a new analysis). */
async function analysisFacts(db: Db, c: Conn): Promise<AnalysisFacts> {
  const m = await c.one<{ a: string | null; t: string | null; s: string | null }>(
    `SELECT max(value) FILTER (WHERE key = 'analyzed_at') AS a, max(value) FILTER (WHERE key = 'conv_text') AS t,
       max(value) FILTER (WHERE key = 'conv_max_span_s') AS s FROM meta`,
  );
  const analyzedAt = m?.a ?? '';
  let seen = tunnelsSeen.get(db);
  if (!seen || seen.analyzedAt !== analyzedAt || !analyzedAt) {
    seen = { analyzedAt, map: await tunnelVpnMap(c) };
    tunnelsSeen.set(db, seen);
  }
  return { analyzedAt, text: m?.t === '1', maxSpanS: m?.s == null ? null : Number(m.s), tunnelVpn: seen.map };
}

/**
 * Counts per filter, per open case and analysis run: scrolling (next pages) and re-sorting keep the
 * filter, so they skip the count's scan. A new analysis (meta analyzed_at) starts afresh.
 */
const counts = new WeakMap<Db, Map<string, number>>();
const COUNT_CACHE = 64;

/**
 * The state sort orders by the state's position in count-and-page.ts STATES, which is in text order
 * (an integer top-N: 41 ms instead of 78 over 10 M rows); the page's keys stay the text, which sorts the same.
 */
const sortKey = (col: string) => (col === 'state' ? stateRank : col);

/**
 * The SQL of step (1) for one branch sorted by a plain column: rowids, sort keys and first_seen
 * (see step 2) of rows offset..offset+limit. LIMIT/OFFSET are literals (integers computed by the
 * caller): as parameters DuckDB plans a full sort.
 */
function pageSql(where: string, sortCol: string, dir: 'ASC' | 'DESC', offset: number, limit: number): string {
  return `SELECT rowid AS r, ${sortCol} AS k, first_seen AS fs FROM conversations WHERE ${where}
    ORDER BY ${sortKey(sortCol)} ${dir} NULLS LAST, rowid LIMIT ${limit} OFFSET ${offset}`;
}

type PageRow = { r: number; k: unknown; t?: unknown; fs?: number };
/** A candidate row of one scan: its group (0, or 1 for the IPv6 part of an address sort) and its key there. */
type Found = { r: number; g: number; key: unknown; fs: number };

/**
 * Step (1) as scans one after the other: each branch of the filter (and, for an address sort, its
 * IPv4 rows by number, then its IPv6 rows by text). Once offset+limit rows are in hand, a later
 * scan only looks past them: it is cut at the key of the last one (so DuckDB's top-N starts with a
 * tight bound instead of finding it), or skipped when its whole group sorts after it. A /32 holding
 * 1.7 M conversations sorted by packets: 47 ms instead of 68 for the UNION ALL of the branches; the
 * IPv6 part of an address sort is rarely read at all.
 */
async function pageByScans(c: Conn, branches: string[], params: SqlParams, sortCol: string, dir: 'ASC' | 'DESC', offset: number, limit: number): Promise<PageRow[]> {
  const want = offset + limit;
  const s = dir === 'ASC' ? 1 : -1;
  const v4 = IP_SORT[sortCol];
  const groups = v4
    ? [
        { g: 0, col: v4, where: `${v4} IS NOT NULL` },
        { g: 1, col: sortCol, where: `${v4} IS NULL` },
      ]
    : [{ g: 0, col: sortCol, where: 'true' }];
  // Groups in page order, so the first fills the page and cuts or skips the rest.
  const scans = (s > 0 ? groups : [...groups].reverse()).flatMap((grp) => branches.map((b) => ({ ...grp, where: `${b} AND ${grp.where}` })));
  const order = (a: Found, b: Found): number => {
    if (a.g !== b.g) return s * (a.g - b.g);
    if (a.key !== b.key) {
      if (a.key == null) return 1;
      if (b.key == null) return -1;
      return (a.key as number | string) < (b.key as number | string) ? -s : s;
    }
    return a.r - b.r;
  };
  let rows: Found[] = [];
  for (const scan of scans) {
    const last = rows.length >= want ? rows[want - 1]! : null;
    if (last && s * (scan.g - last.g) > 0) continue;
    const cut = last && last.g === scan.g && last.key != null ? last.key : undefined;
    const where = cut === undefined ? scan.where : `${scan.where} AND ${scan.col} ${s < 0 ? '>=' : '<='} $page_cut`;
    const sql = `SELECT rowid AS r, ${scan.g} AS g, ${scan.col} AS key, first_seen AS fs FROM conversations WHERE ${where}
      ORDER BY ${sortKey(scan.col)} ${dir} NULLS LAST, rowid LIMIT ${want}`;
    const p = only(sql, params);
    if (cut !== undefined) p.page_cut = cut as number | string;
    rows = [...rows, ...(await c.all<Found>(sql, p))].sort(order).slice(0, want);
  }
  // The shape pageSql gives: an address sort's IPv4 number in k and its IPv6 text in t.
  return rows.slice(offset).map((x) => (v4 ? { r: x.r, fs: x.fs, k: x.g === 0 ? x.key : null, t: x.g === 1 ? x.key : null } : { r: x.r, fs: x.fs, k: x.key }));
}

/** The SQL of the exact count: one count per branch, added up. */
function countSql(branches: string[]): string {
  if (branches.length === 1) return `SELECT count(*) AS n FROM conversations WHERE ${branches[0]}`;
  return `SELECT sum(n)::BIGINT AS n FROM (${branches.map((b) => `SELECT count(*) AS n FROM conversations WHERE ${b}`).join(' UNION ALL ')})`;
}

export async function queryConversations(db: Db, q: ConversationQuery = {}): Promise<ConversationPage> {
  const facts = await db.use((c) => analysisFacts(db, c));
  const { analyzedAt, text } = facts;
  const f = conversationFilter(q.filter, facts.tunnelVpn, facts.maxSpanS);
  const sortCol = (q.sort && SORTABLE[q.sort.column]) ?? 'first_seen';
  const dir = q.sort?.dir === 'desc' ? ('DESC' as const) : ('ASC' as const);
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const limit = Math.min(5000, Math.max(1, Math.floor(q.limit ?? 200)));
  // Two steps. (1) The page's rowids: only the filter and sort columns are read (ties broken by
  // rowid, which is unique and follows first_seen; comparing conv_id strings doubled the top-N),
  // while the count runs on a second connection, or for a new filter, in the same scan as the page
  // (count-and-page.ts). (2) Those rows with every column. A rowid filter
  // does not skip row groups before they are read: each list column then decodes the offsets of
  // every row it passes (~40 ms over the 82 row groups of 10 M rows, for nothing). first_seen (the
  // table's order) IN the page's values lets the zone maps skip every row group without page rows.
  const cache = counts.get(db) ?? new Map<string, number>();
  counts.set(db, cache);
  const key = `${analyzedAt}|${f.where}|${JSON.stringify(f.params)}`;
  const cached = cache.get(key);
  const remember = (n: number) => {
    if (cache.size >= COUNT_CACHE) cache.delete(cache.keys().next().value!);
    cache.set(key, n);
    return n;
  };
  const pageOf = (c: Conn): Promise<PageRow[]> => {
    if (f.branches.length > 1 || IP_SORT[sortCol]) return pageByScans(c, f.branches, f.params, sortCol, dir, offset, limit);
    const sql = pageSql(f.branches[0]!, sortCol, dir, offset, limit);
    return c.all<PageRow>(sql, only(sql, f.params));
  };
  // A new filter: its count and page from one aggregate per branch (count-and-page.ts), when the
  // sort has an integer key. Not for the whole table (`true`): its count is a metadata read, and the
  // aggregate over every row costs 3× the ORDER BY ... LIMIT, whose bound is pushed into the scan.
  const both = cached === undefined && f.where !== 'true'
    ? await db.use((c) => countAndPage(db, c, analyzedAt, f.branches, f.params, sortCol, dir, offset, limit))
    : null;
  const [total, page]: [number, PageRow[]] = both
    ? [remember(both.total), both.page ?? (await db.use(pageOf))]
    : await Promise.all([
        cached ?? db.use((c) => c.one<{ n: number }>(countSql(f.branches), only(countSql(f.branches), f.params))).then((r) => remember(Number(r?.n ?? 0))),
        db.use(pageOf),
      ]);
  if (page.length === 0) return { total, offset, rows: [] };
  const ids = page.map((p) => Number(p.r));
  const params: SqlParams = {};
  let keyRange = '';
  // An address sort's keys are the v4 numbers, or the IPv6 texts; a page with both gets no key range.
  const v4 = IP_SORT[sortCol];
  const [keyCol, keys] = !v4 ? [sortCol, page.map((p) => p.k)] : page.every((p) => p.k != null) ? [v4, page.map((p) => p.k)] : [sortCol, page.map((p) => p.t)];
  if (keys.every((k) => typeof k === 'number' || typeof k === 'string')) {
    const sorted = [...(keys as (number | string)[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    Object.assign(params, { k0: sorted[0]!, k1: sorted[sorted.length - 1]! });
    keyRange = ` AND ${keyCol} BETWEEN $k0 AND $k1`;
  }
  // Integers from the database, written as literals like the rowids.
  const fsIn = page.every((p) => p.fs != null && Number.isSafeInteger(Number(p.fs)))
    ? ` AND first_seen IN (${[...new Set(page.map((p) => Number(p.fs)))].join(', ')})`
    : '';
  const rows = await db.use((c) =>
    c.all<Record<string, unknown>>(
      `SELECT ${columns(text)}, rowid AS r FROM conversations
       WHERE rowid BETWEEN ${Math.min(...ids)} AND ${Math.max(...ids)}${keyRange}${fsIn} AND rowid IN (${ids.join(', ')})`,
      params,
    ),
  );
  const at = new Map(ids.map((id, i) => [id, i]));
  rows.sort((a, b) => at.get(Number(a.r))! - at.get(Number(b.r))!);
  return { total, offset, rows: rows.map(toRow) };
}

/**
 * Reads the columns that conversation filters and sorts scan, and those a page shows, once, into
 * DuckDB's buffer pool (~0.7 s and ~400 MB at 10 M conversations). The first query to touch a
 * column loads it from the file: 2–3× the time of the same query warm (45–58 ms against 15–39). The workspace runs this in the background after a
 * case opens, while the analyst is still looking at the timeline; closing the case interrupts it.
 */
export async function warmConversations(db: Db): Promise<void> {
  // The integer columns (ports, protocol, addresses, bytes, packets, flags), whose ranges the
  // same scan keeps for the one-scan count and page of a new filter (count-and-page.ts), then the rest.
  await learnSortRanges(db, ['action', 'state', 'first_seen', 'last_seen']);
  // Then what a page shows: a page sorted by bytes or packets is spread over the whole table, and
  // its first fetch read these blocks cold (~90 ms against ~25 warm at 10 M; +105 MB of cache).
  await db.one(`SELECT ${['conv_id', 'client', 'server', 'capture_points_text', 'paths_text'].map((c) => `max(${c})`).join(', ')} FROM conversations`);
}

export async function getConversation(db: Db, id: string): Promise<ConversationDetail> {
  return db.use(async (c) => {
    const r = await c.one<Record<string, unknown>>(
      `SELECT ${columns((await analysisFacts(db, c)).text)}, lo_addr, lo_port, hi_addr, hi_port FROM conversations WHERE conv_id = $id`,
      { id },
    );
    if (!r) throw new AppError('not-found', `Conversation ${id} is not in this investigation (re-run the analysis if the data changed).`);
    const conv = toRow(r);
    // Records of this 5-tuple that start inside the conversation's span: conversations on one tuple never overlap.
    const p = { pr: conv.protocol, lo: String(r.lo_addr), lop: Number(r.lo_port), hi: String(r.hi_addr), hip: Number(r.hi_port), a: Date.parse(conv.firstSeen) / 1000, z: Date.parse(conv.lastSeen) / 1000 };
    const match = (s: string, d: string) =>
      `protocol = $pr AND start_time BETWEEN $a AND $z AND log_status IS DISTINCT FROM 'NODATA' AND log_status IS DISTINCT FROM 'SKIPDATA' AND (
        (${s} = $lo AND coalesce(srcport, 0) = $lop AND ${d} = $hi AND coalesce(dstport, 0) = $hip) OR
        (${s} = $hi AND coalesce(srcport, 0) = $hip AND ${d} = $lo AND coalesce(dstport, 0) = $lop))`;
    const refs = await c.all<{ tbl: RecordRef['table']; source_id: number; line: number; s: string }>(
      `SELECT 'vpc_flows' AS tbl, source_id, line, coalesce(pkt_srcaddr, srcaddr) AS s, start_time FROM vpc_flows
         WHERE ${match('coalesce(pkt_srcaddr, srcaddr)', 'coalesce(pkt_dstaddr, dstaddr)')}
       UNION ALL
       SELECT 'tgw_flows', source_id, line, srcaddr, start_time FROM tgw_flows WHERE ${match('srcaddr', 'dstaddr')}
       ORDER BY start_time, tbl, source_id, line LIMIT 2000`,
      p,
    );
    const records = await readRecords(
      c,
      refs.map((x) => ({ table: x.tbl, sourceId: x.source_id, line: x.line })),
    );
    const fromClient = new Map(refs.map((x) => [`${x.tbl}|${x.source_id}|${x.line}`, x.s === conv.client]));
    for (const rec of records) rec.direction = fromClient.get(`${rec.table}|${rec.sourceId}|${rec.line}`) ? 'forward' : 'reverse';
    return { conversation: conv, records };
  });
}

export async function getRecords(db: Db, refs: RecordRef[]): Promise<RawRecord[]> {
  return db.use((c) => readRecords(c, refs));
}

const HIDDEN = new Set(['source_id', 'line', 'extra', 'log_stream', 'event_ts']);

/** The stored line, rebuilt from the typed columns in the file's own field order. */
function reconstruct(fields: string | null, row: Record<string, unknown>): string {
  if (!fields) return JSON.stringify(Object.fromEntries(Object.entries(row).filter(([k, v]) => v !== null && !HIDDEN.has(k))));
  const extra = (row.extra ?? {}) as Record<string, unknown>;
  return fields
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => {
      const col = name === 'start' ? 'start_time' : name === 'end' ? 'end_time' : name.replace(/-/g, '_');
      const v = col in row ? row[col] : extra[name];
      return v === null || v === undefined ? '-' : String(v);
    })
    .join(' ');
}

export async function readRecords(c: Conn, refs: RecordRef[]): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  const sources = new Map(
    (await c.all<{ source_id: number; path: string; fields: string | null }>('SELECT source_id, path, fields FROM sources')).map((s) => [s.source_id, s]),
  );
  const tables = ['vpc_flows', 'tgw_flows', 'vpn_events', 'bgp_events', 'metric_points'] as const;
  for (const table of tables) {
    const mine = refs.filter((r) => r.table === table);
    for (let i = 0; i < mine.length; i += 500) {
      const chunk = mine.slice(i, i + 500);
      const params: Record<string, number> = {};
      const keys = chunk.map((r, j) => {
        params[`s${j}`] = r.sourceId;
        params[`l${j}`] = r.line;
        return `($s${j}, $l${j})`;
      });
      const cast = table === 'vpn_events' || table === 'bgp_events' ? ', raw::VARCHAR AS raw_text' : '';
      const rows = await c.all<Record<string, unknown>>(
        `SELECT *${cast} FROM ${table} WHERE (source_id, line) IN (SELECT * FROM (VALUES ${keys.join(', ')}))`,
        params,
      );
      const byKey = new Map(rows.map((r) => [`${r.source_id}|${r.line}`, r]));
      for (const ref of chunk) {
        const row = byKey.get(`${ref.sourceId}|${ref.line}`);
        if (!row) continue;
        const src = sources.get(ref.sourceId);
        const rawText = typeof row.raw_text === 'string' ? row.raw_text : null;
        delete row.raw_text;
        const fields: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row)) if (!HIDDEN.has(k) && k !== 'raw') fields[k] = v;
        const isFlow = table === 'vpc_flows' || table === 'tgw_flows';
        out.push({
          table,
          sourceId: ref.sourceId,
          line: ref.line,
          file: src?.path ?? '',
          text: isFlow ? reconstruct(src?.fields ?? null, row) : (rawText ?? reconstruct(null, row)),
          fields,
          ...(isFlow ? { capturePoint: String(row.interface_id ?? row.tgw_attachment_id ?? '') } : {}),
        });
      }
    }
  }
  const order = new Map(refs.map((r, i) => [`${r.table}|${r.sourceId}|${r.line}`, i]));
  return out.sort((a, b) => order.get(`${a.table}|${a.sourceId}|${a.line}`)! - order.get(`${b.table}|${b.sourceId}|${b.line}`)!);
}
