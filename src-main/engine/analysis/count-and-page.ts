/**
 * The exact count of a new conversation filter and the rowids of its page in ONE scan per branch.
 *
 * Counting and paging a new filter as two queries makes them compete for the two cores (~100–120 ms
 * at 10 M conversations against ~50–70 for the page alone). `count(*)` beside `min(key, n)` costs
 * what the page's `ORDER BY … LIMIT n` alone costs (33 vs 33 ms, 41 vs 42), but only when the sort
 * is ONE BIGINT key (a HUGEINT or a struct key is 50 % slower or worse):
 *
 *   key = coalesce(value, sentinel) * 2^R + tiebreak      (rowid < 2^R)
 *
 * ascending: tiebreak = rowid and the smallest keys; descending: tiebreak = 2^R - 1 - rowid and the
 * largest keys. Both give `ORDER BY value dir NULLS LAST, rowid` exactly: the sentinel (just above
 * the column's max ascending, just below its min descending) puts NULLs last, and equal values fall
 * back to rowid ascending. Whether a column fits in 62 bits needs its [min, max]: `learnSortRanges`
 * reads them in the scan `warmConversations` already makes, so a filter switch never pays for it.
 */
import type { Conn, Db } from '../db/index.ts';
import type { HandshakeState } from '../../shared/domain.ts';
import type { SqlParams } from './sql/filters.ts';
import { only } from './util.ts';

/** Columns whose value is an integer in the table (address sorts use their IPv4 number). */
const NUMERIC = [
  'protocol', 'client_port', 'server_port', 'bytes_fwd', 'bytes_rev',
  'packets_fwd', 'packets_rev', 'flags_fwd', 'flags_rev', 'client_v4', 'server_v4',
] as const;

interface SortRanges {
  analyzedAt: string;
  /** Every rowid is below 2^rowBits. */
  rowBits: number;
  /** [min, max] of each NUMERIC column (0, 0 when it holds only NULLs). */
  span: Map<string, [bigint, bigint]>;
  /** v4 columns with NULLs (IPv6 endpoints): their rows sort by text, which no integer key encodes. */
  v6: Set<string>;
}

/** Per open case, for one analysis run (meta analyzed_at). */
const rangesSeen = new WeakMap<Db, SortRanges>();

/**
 * Reads the NUMERIC columns (loading them into DuckDB's cache, which is why `warmConversations`
 * calls this) and keeps their ranges for this analysis run. `alsoLoad` columns are read in the same
 * scan. analyzed_at comes from the same statement, so ranges never outlive the table they describe.
 */
export async function learnSortRanges(db: Db, alsoLoad: readonly string[]): Promise<void> {
  const r = await db.use((c) =>
    c.raw(
      `SELECT (SELECT max(value) FROM meta WHERE key = 'analyzed_at') AS at, max(rowid) AS maxrow,
         ${NUMERIC.map((col) => `min(${col})::BIGINT AS "${col}_lo", max(${col})::BIGINT AS "${col}_hi"`).join(', ')},
         count(*) - count(client_v4) AS client_v6, count(*) - count(server_v4) AS server_v6
         ${alsoLoad.map((col) => `, max(${col})`).join('')}
       FROM conversations`,
    ),
  );
  const row = r[0];
  if (!row || typeof row.at !== 'string') return;
  const big = (v: unknown) => (v == null ? 0n : BigInt(v as bigint | number));
  const span = new Map<string, [bigint, bigint]>(NUMERIC.map((col) => [col, [big(row[`${col}_lo`]), big(row[`${col}_hi`])]]));
  const v6 = new Set<string>();
  if (big(row.client_v6) > 0n) v6.add('client_v4');
  if (big(row.server_v6) > 0n) v6.add('server_v4');
  // max(rowid) + 1 rows' worth of rowids (0 .. max); one bit at least.
  const rowBits = Math.max(1, (big(row.maxrow) + 1n).toString(2).length);
  rangesSeen.set(db, { analyzedAt: row.at, rowBits, span, v6 });
}

/** Every handshake state in text order: the state sort is by the position in this list (1-based). */
export const STATES = ['completed', 'established', 'half-open', 'no-tcp', 'rejected', 'reset', 'syn-no-synack', 'unknown'] as const satisfies readonly HandshakeState[];
export const stateRank = `list_position([${STATES.map((x) => `'${x}'`).join(', ')}], state)`;

/**
 * Address columns sort as addresses: IPv4 by number (10.0.0.9 before 10.0.0.10, from the
 * UINTEGER column, which is also twice as fast to sort as the text), then IPv6 by text; descending
 * is the exact reverse. In conversations.ts each part is its own scan (`v4 IS NOT NULL` /
 * `v4 IS NULL`: the second skips every row group without IPv6 by its statistics; see pageByScans).
 */
export const IP_SORT: Record<string, string> = { client: 'client_v4', server: 'server_v4' };

/** How one sort column becomes the BIGINT key, or why it cannot. */
interface KeyPlan {
  /** The integer sort value in SQL. */
  expr: string;
  sentinel: bigint;
  scale: bigint;
  asc: boolean;
  /** The page row's `k` from a decoded value (state: its text). */
  show: (v: bigint) => unknown;
  /** Rows with a NULL v4 sort by text: the key cannot place them (address sorts only). */
  v4: string | null;
}

const LIMIT62 = 1n << 62n;
/** Above offset+limit this deep, the two-query path pages (see countAndPage). */
const DEEPEST = 5000;

/**
 * The key for sorting by `sortCol`, or null when this run's ranges are unknown, the column is text
 * (conv_id, action), the key would not fit a BIGINT, or a descending address sort meets IPv6 rows
 * (they come first there, in text order).
 */
function keyPlan(db: Db, analyzedAt: string, sortCol: string, dir: 'ASC' | 'DESC'): KeyPlan | null {
  const ranges = rangesSeen.get(db);
  if (!ranges || ranges.analyzedAt !== analyzedAt || !analyzedAt) return null;
  // The table is in first_seen order: ORDER BY a time LIMIT n reads a few row groups (2–4 ms), while
  // the aggregate reads every matching row, and max(key, n) over rising keys keeps replacing its
  // heap (last_seen DESC: 120 ms against 4). Counting beside that page is cheaper.
  if (sortCol === 'first_seen' || sortCol === 'last_seen') return null;
  const v4 = IP_SORT[sortCol] ?? null;
  const col = v4 ?? sortCol;
  const asc = dir === 'ASC';
  if (v4 && !asc && ranges.v6.has(v4)) return null;
  let lo: bigint;
  let hi: bigint;
  let expr = col;
  let show = (v: bigint): unknown => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : null);
  if (col === 'state') {
    [lo, hi, expr] = [1n, BigInt(STATES.length), stateRank];
    show = (v) => STATES[Number(v) - 1];
  } else {
    const s = ranges.span.get(col);
    if (!s) return null;
    [lo, hi] = s;
  }
  const sentinel = asc ? hi + 1n : lo - 1n;
  const scale = 1n << BigInt(ranges.rowBits);
  // Every key lies within ±(|value| + 1) * 2^R, values including the sentinel.
  const abs = (x: bigint) => (x < 0n ? -x : x);
  if ((abs(lo - 1n) > abs(hi + 2n) ? abs(lo - 1n) : abs(hi + 2n)) * scale > LIMIT62) return null;
  return { expr, sentinel, scale, asc, show, v4: v4 && ranges.v6.has(v4) ? v4 : null };
}

/** One branch: its count and its `want` first keys (as text: above 2^53 a JS number loses digits). */
function branchSql(where: string, p: KeyPlan, want: number): string {
  const tiebreak = p.asc ? 'rowid' : `(${p.scale - 1n} - rowid)`;
  const key = `(coalesce(${p.expr}, ${p.sentinel})::BIGINT * ${p.scale} + ${tiebreak})`;
  return `SELECT count(*) AS n, list_transform(${p.asc ? 'min' : 'max'}(${key}, ${want}), x -> x::VARCHAR) AS keys
    FROM conversations WHERE ${where}`;
}

/**
 * A page row in the shape conversations.ts's step (1) gives: rowid and sort key (an address sort's
 * IPv4 number; `t`, its IPv6 text, is never set here). No first_seen: max_by(first_seen, key, n)
 * costs ~8 ms, the fetch without it 4–9 ms more.
 */
export type KeyedRow = { r: number; k: unknown; t?: unknown };

export interface CountAndPage {
  total: number;
  /** Rows offset..offset+limit, or null when IPv6 rows of an address sort reach into the page. */
  page: KeyedRow[] | null;
}

/**
 * The count and page of a filter in one aggregate per branch, or null when the sort has no BIGINT
 * key (the caller then counts and pages as two queries). Branches are exclusive, so their counts
 * add up and their keys merge without duplicates.
 */
export async function countAndPage(
  db: Db, c: Conn, analyzedAt: string, branches: string[], params: SqlParams,
  sortCol: string, dir: 'ASC' | 'DESC', offset: number, limit: number,
): Promise<CountAndPage | null> {
  const want = offset + limit;
  // A deep page (a new filter rarely starts there): every branch would return offset+limit keys.
  if (want > DEEPEST) return null;
  const plan = keyPlan(db, analyzedAt, sortCol, dir);
  if (!plan) return null;
  let total = 0;
  const keys: bigint[] = [];
  for (const b of branches) {
    const sql = branchSql(b, plan, want);
    const row = (await c.raw(sql, only(sql, params)))[0];
    total += Number(row?.n ?? 0);
    for (const k of (row?.keys as string[] | null) ?? []) keys.push(BigInt(k));
  }
  keys.sort((a, b) => (a === b ? 0 : (a < b) === plan.asc ? -1 : 1));
  const page: KeyedRow[] = [];
  for (const key of keys.slice(offset, want)) {
    const low = ((key % plan.scale) + plan.scale) % plan.scale;
    const v = (key - low) / plan.scale;
    // An IPv6 row of an ascending address sort: it belongs after every IPv4 row, in text order.
    if (v === plan.sentinel && plan.v4) return { total, page: null };
    const r = Number(plan.asc ? low : plan.scale - 1n - low);
    const k = v === plan.sentinel ? null : plan.show(v);
    page.push(IP_SORT[sortCol] ? { r, k, t: null } : { r, k });
  }
  return { total, page };
}
