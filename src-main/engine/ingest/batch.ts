/**
 * Many flow-log text files of one layout read and written together: one read_csv over the file
 * list (parallel, file_index per row), one parse query, one INSERT, in ONE transaction for the
 * whole batch. A commit per small file sends every file through DuckDB's write-ahead log and a
 * later checkpoint; a batch of ≥ 122,880 rows goes straight to the database file instead.
 *
 * The rule for cancels and failures: a file is complete when its batch commits. A cancel rolls
 * the whole batch back (the case is as it was before the batch; its files are reported cancelled),
 * a failure rolls it back and the service imports the batch's files again one by one. Anything
 * unusual in a batch (invalid UTF-8 lines, a header with another layout inside a file) makes the
 * stage step give up before anything is written, and the files go the one-by-one way too.
 *
 * Plain text files (plain-text.ts) of a layout of known fields take the typed read instead
 * (batch-fast.ts): read_csv with delim=' ' and explicit column types, no string splitting.
 *
 * Line numbers: the read keeps file order and line order (preserve_insertion_order), so a line's
 * number is its rowid minus the first rowid of its file, plus one.
 */
import type { Conn } from '../db/index.ts';
import { AppError } from '../../shared/result.ts';
import { OVERLAP_KEY, parseFieldList, type FlowKind } from './fields.ts';
import { ACCOUNTING, accountingResult, pick, presentColumns, type Accounting } from './flow-load.ts';
import { TYPED_TABLE, typedSelect, type ParsePlan } from './flow-sql.ts';
import { dropFast, stageTyped } from './batch-fast.ts';
import { assertReadOrder } from './lines.ts';
import type { LoadResult } from './types.ts';

export interface BatchPlan {
  kind: FlowKind;
  names: string[];
  tsPrefix: boolean;
  newline: '\n' | '\r\n';
  /** The first line of every file is a header of `names` (S3 delivery). */
  header: boolean;
  /** The layout allows the typed read (batch-fast.ts); it is used when every file is plain text. */
  typed: boolean;
}

export interface BatchFile {
  /** Path DuckDB reads (its .gz suffix matches the content). */
  path: string;
  display: string;
  sha256: string;
  bytes: number;
  etag: string | null;
  format: string;
  stream: string | null;
  /** Plain space-separated text (plain-text.ts). */
  plain: boolean;
  /** Its lines, counted in the hashing pass (meaningful when plain). */
  lines: number;
}

export function batchKey(p: BatchPlan): string {
  return JSON.stringify([p.kind, p.names, p.tsPrefix, p.newline, p.header, p.typed]);
}

const RAW = 'ts_braw';
const FILES = 'ts_bfiles';
const DELIM = '\u0001\u0002\u0003\u0004';
const READ_OPTIONS = `delim='${DELIM}', quote='', escape='', comment='', header=false, auto_detect=false,
  strict_mode=false, columns={'t': 'VARCHAR'}, compression='auto'`;

const TRACE = !!process.env.TSCOPE_INGEST_TRACE;
function traced(conn: Conn): Conn {
  if (!TRACE) return conn;
  const wrap = <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    const t0 = performance.now();
    try {
      return await f(...a);
    } finally {
      process.stderr.write(`[batch] ${((performance.now() - t0) / 1000).toFixed(2)}s ${name} ${String(a[0]).replace(/\s+/g, ' ').slice(0, 90)} (ended at ${(performance.now() / 1000).toFixed(2)})\n`);
    }
  };
  return Object.assign(Object.create(conn) as Conn, { run: wrap('run', conn.run.bind(conn)), all: wrap('all', conn.all.bind(conn)), one: wrap('one', conn.one.bind(conn)) });
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

export async function dropBatch(conn: Conn): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${RAW}; DROP TABLE IF EXISTS ${FILES}; DROP TABLE IF EXISTS ${TYPED_TABLE}; DROP TABLE IF EXISTS ts_brej; DROP TABLE IF EXISTS ts_brej_scan`);
  await dropFast(conn);
}

export interface StagedBatch {
  columns: string[];
  fields: string;
  /** Lines per file, in batch order. */
  lines: number[];
  /** SQL for a ts_typed row's line number. */
  line: string;
}

/**
 * Parse step (outside any transaction, nothing in the case changes): ts_typed with a file index
 * `fi`. Returns null when the batch must go file by file (see the module comment).
 */
export async function stageBatch(c0: Conn, plan: BatchPlan, files: BatchFile[]): Promise<StagedBatch | null> {
  const conn = traced(c0);
  await dropBatch(conn);
  await assertReadOrder(conn);
  if (plan.typed && files.every((f) => f.plain)) {
    const typed = await stageTyped(conn, plan, files);
    if (typed) {
      await markBatchOverlap(conn, plan.kind);
      return typed;
    }
    await dropBatch(conn);
  }
  const nl = plan.newline === '\r\n' ? `new_line='\\r\\n'` : `new_line='\\n'`;
  await conn.run(
    `CREATE TEMP TABLE ${RAW} AS SELECT file_index::INTEGER AS fi, t FROM read_csv([${files.map((f) => lit(f.path)).join(', ')}], ${READ_OPTIONS}, ${nl},
       store_rejects=true, rejects_table='ts_brej', rejects_scan='ts_brej_scan')`,
  );
  const rejected = (await conn.one<{ n: number }>('SELECT count(*)::BIGINT AS n FROM ts_brej'))?.n ?? 0;
  await conn.run('DROP TABLE IF EXISTS ts_brej; DROP TABLE IF EXISTS ts_brej_scan');
  if (rejected > 0) return null;
  // Header lines: S3 files start with one and may repeat it where files were concatenated; a
  // header of another layout (or any header in a headerless batch) needs the one-by-one path.
  const headers: string[] = [];
  if (!plan.tsPrefix) {
    const candidates = await conn.all<{ t: string }>(
      `SELECT DISTINCT t FROM ${RAW} WHERE (t[1] BETWEEN 'a' AND 'z' OR t[1] = '$')
         AND regexp_full_match(t, '[a-z\${}_-][a-z0-9\${}_ \\t\\r-]*') LIMIT 1000`,
    );
    const layout = plan.names.join(' ');
    for (const c of candidates) {
      const names = parseFieldList(c.t);
      if (names === null) continue;
      if (!plan.header || names.join(' ') !== layout || c.t.includes("'")) return null;
      headers.push(c.t);
    }
  }
  await conn.run(
    `CREATE TEMP TABLE ${FILES} AS
     SELECT f.fi, coalesce(r.r0, 0) AS r0, coalesce(r.n, 0) AS n, f.stream
     FROM (SELECT unnest(range(${files.length}))::INTEGER AS fi, unnest([${files.map((f) => (f.stream === null ? 'NULL' : lit(f.stream))).join(', ')}]::VARCHAR[]) AS stream) f
     LEFT JOIN (SELECT fi, min(rowid) AS r0, count(*) AS n FROM ${RAW} GROUP BY fi) r USING (fi)`,
  );
  const counts = await conn.all<{ fi: number; r0: number; n: number }>(`SELECT fi, r0, n FROM ${FILES} ORDER BY fi`);
  const allHeaders = headers;
  const spec = { kind: plan.kind, src: '', params: {}, segments: [{ lo: null, hi: null, names: plan.names }], headers: allHeaders, tsPrefix: plan.tsPrefix, latin1: false };
  const present = presentColumns(spec);
  const out = new Set([...present, ...OVERLAP_KEY[plan.kind], 'start_time', 'end_time']);
  const parse: ParsePlan = { kind: plan.kind, names: plan.names, tsPrefix: plan.tsPrefix, latin1: false, batch: true };
  // Per-file first rowid and stream as list lookups (no join over every line).
  const firsts = `([${counts.map((c) => String(Math.trunc(Number(c.r0)))).join(', ')}]::BIGINT[])`;
  const streams = plan.tsPrefix ? `([${files.map((f) => (f.stream === null ? 'NULL' : lit(f.stream))).join(', ')}]::VARCHAR[])[fi + 1]` : 'NULL::VARCHAR';
  const src = `(SELECT fi, rowid - ${firsts}[fi + 1] + 1 AS line, t, NULL::TIMESTAMPTZ AS ev_ts, ${streams} AS stream, NULL::VARCHAR AS pre_reason, NULL::VARCHAR AS raw, false AS meta
    FROM ${RAW})`;
  const sel = typedSelect(parse, src, allHeaders, out);
  // preserve_insertion_order is an instance-wide setting: switching it off here (it would make this
  // parse faster) also reorders the line reads of the file staged in parallel, and so its line numbers.
  await conn.run(`CREATE TEMP TABLE ${TYPED_TABLE} AS ${sel}`, pick(sel, { now: Math.floor(Date.now() / 1000) }));
  await conn.run(`DROP TABLE ${RAW}`);
  await markBatchOverlap(conn, plan.kind);
  return { columns: present, fields: plan.names.join(' '), lines: counts.map((c) => c.n), line: 'line' };
}

/**
 * Records of a file that an earlier file of the same batch also holds are overlap duplicates.
 * This depends on the batch alone, so it runs in the stage step, outside the write transaction
 * (and beside the previous batch's write). A duplicate pair (row of file f, row of an earlier
 * file g) has one start time inside both files' ranges, so only rows of f within the span of the
 * files before it, and rows of g within the span of the files after it, need comparing.
 */
async function markBatchOverlap(conn: Conn, kind: FlowKind): Promise<void> {
  const key = OVERLAP_KEY[kind];
  const same = (a: string, b: string) => key.map((k) => `${a}.${k} IS NOT DISTINCT FROM ${b}.${k}`).join(' AND ');
  const ranges = await conn.all<{ fi: number; lo: number; hi: number }>(
    `SELECT fi, min(start_time) AS lo, max(start_time) AS hi FROM ${TYPED_TABLE} WHERE cls = 'row' AND start_time IS NOT NULL GROUP BY fi ORDER BY fi`,
  );
  const span = (list: typeof ranges) => {
    const out: { fi: number; lo: number; hi: number }[] = [];
    let clo = Infinity;
    let chi = -Infinity;
    for (const r of list) {
      if (clo <= r.hi && chi >= r.lo) out.push({ fi: r.fi, lo: Math.max(clo, r.lo), hi: Math.min(chi, r.hi) });
      clo = Math.min(clo, r.lo);
      chi = Math.max(chi, r.hi);
    }
    return out;
  };
  const before = span(ranges);
  const after = span([...ranges].reverse());
  if (!before.length || !after.length) return;
  const rel = (c: { fi: number; lo: number; hi: number }[]) =>
    `(SELECT unnest([${c.map((x) => x.fi).join(', ')}]) AS fi, unnest([${c.map((x) => x.lo).join(', ')}]::BIGINT[]) AS lo, unnest([${c.map((x) => x.hi).join(', ')}]::BIGINT[]) AS hi)`;
  await conn.run(
    `UPDATE ${TYPED_TABLE} SET cls = 'overlap' WHERE rowid IN (
       SELECT n.rowid FROM ${TYPED_TABLE} n JOIN ${rel(before)} c ON n.fi = c.fi AND n.start_time BETWEEN c.lo AND c.hi
       JOIN (SELECT x.fi, ${key.map((k) => `x.${k}`).join(', ')} FROM ${TYPED_TABLE} x JOIN ${rel(after)} a ON x.fi = a.fi AND x.start_time BETWEEN a.lo AND a.hi
             WHERE x.cls IN ('row', 'overlap')) e
         ON ${same('n', 'e')} AND e.fi < n.fi
       WHERE n.cls = 'row')`,
  );
}

export interface BatchFileResult {
  /** Set when the file turned out to be in the case already (by content). */
  duplicateOf?: { path: string; kind: string };
  result?: LoadResult & { fields: string };
}

/**
 * Write step, inside the batch's transaction: sources rows (in file order), overlap with the case
 * and with earlier files of the batch, records, quarantine, counts.
 */
export async function writeBatch(c0: Conn, plan: BatchPlan, files: BatchFile[], staged: StagedBatch, signal: AbortSignal): Promise<BatchFileResult[]> {
  const conn = traced(c0);
  const check = () => {
    if (signal.aborted) throw new AppError('cancelled', 'The import was cancelled.');
  };
  const results: BatchFileResult[] = files.map(() => ({}));
  check();
  // Same content as a file already in the case, or as an earlier file of this batch.
  const seen = new Map<string, { path: string; kind: string }>();
  const dup = await conn.all<{ sha256: string; path: string; kind: string }>(
    `SELECT sha256, any_value(path ORDER BY source_id) AS path, any_value(kind ORDER BY source_id) AS kind FROM sources
     WHERE sha256 IN (SELECT unnest([${files.map((f) => lit(f.sha256)).join(', ')}]::VARCHAR[])) GROUP BY sha256`,
  );
  for (const d of dup) seen.set(d.sha256, { path: d.path, kind: d.kind });
  const fresh: number[] = [];
  for (const [i, f] of files.entries()) {
    const earlier = seen.get(f.sha256);
    if (earlier) results[i]!.duplicateOf = earlier;
    else {
      fresh.push(i);
      seen.set(f.sha256, { path: f.display, kind: plan.kind });
    }
  }
  // One statement for the batch's sources rows; ids are handed out in file order.
  const idBySha = new Map<string, number>();
  if (fresh.length) {
    const values = fresh
      .map((i) => {
        const f = files[i]!;
        return `(${i}, ${lit(f.display)}, ${lit(f.format)}, ${lit(f.sha256)}, ${Number(f.bytes)}::BIGINT, ${f.etag === null ? 'NULL' : lit(f.etag)}::VARCHAR)`;
      })
      .join(', ');
    const rows = await conn.all<{ id: number; sha: string }>(
      `INSERT INTO sources (path, kind, format, sha256, bytes, etag, status)
       SELECT p, ${lit(plan.kind)}, fmt, h, b, e, 'complete' FROM (VALUES ${values}) AS x(i, p, fmt, h, b, e) ORDER BY i
       RETURNING source_id AS id, sha256 AS sha`,
    );
    for (const r of rows) idBySha.set(r.sha, r.id);
  }
  const sids: (number | null)[] = files.map((f, i) => (results[i]!.duplicateOf ? null : (idBySha.get(f.sha256) ?? null)));
  if (fresh.some((i) => sids[i] === null)) throw new Error('sources rows of the batch were not all created');
  const skip = sids.flatMap((s, i) => (s === null ? [i] : []));
  if (skip.length) await conn.run(`DELETE FROM ${TYPED_TABLE} WHERE fi IN (${skip.join(', ')})`);
  const sidList = `([${sids.map((s) => (s === null ? 'NULL' : String(Number(s)))).join(', ')}]::INTEGER[])`;
  const table = plan.kind;
  const key = OVERLAP_KEY[plan.kind];
  const same = (a: string, b: string) => key.map((k) => `${a}.${k} IS NOT DISTINCT FROM ${b}.${k}`).join(' AND ');

  // Overlap with the case (overlap between files of the batch was marked in the stage step): only
  // rows whose start time falls where the case has rows can be duplicates.
  const ranges = await conn.all<{ fi: number; lo: number; hi: number }>(
    `SELECT fi, min(start_time) AS lo, max(start_time) AS hi FROM ${TYPED_TABLE} WHERE cls = 'row' AND start_time IS NOT NULL GROUP BY fi ORDER BY fi`,
  );
  if (ranges.length) {
    const lo = Math.min(...ranges.map((r) => r.lo));
    const hi = Math.max(...ranges.map((r) => r.hi));
    // The case's rows in the batch's time range; only batch rows inside their span can match.
    const existing = await conn.one<{ lo: number | null; hi: number | null }>(
      `SELECT min(start_time) AS lo, max(start_time) AS hi FROM ${table} WHERE start_time BETWEEN $lo AND $hi`,
      { lo, hi },
    );
    check();
    if (existing?.lo !== null && existing?.lo !== undefined) {
      const span = { lo: existing.lo, hi: existing.hi };
      await conn.run(
        `UPDATE ${TYPED_TABLE} SET cls = 'overlap' WHERE rowid IN (
           SELECT n.rowid FROM ${TYPED_TABLE} n
           SEMI JOIN (SELECT ${key.join(', ')} FROM ${table} WHERE start_time BETWEEN $lo AND $hi) e ON ${same('n', 'e')}
           WHERE n.cls = 'row' AND n.start_time BETWEEN $lo AND $hi)`,
        span,
      );
      check();
    }
  }

  const cols = staged.columns;
  // Rows carry (source_id, line), so their physical order would not matter, but see above: the
  // order setting is instance-wide and another file's lines are being read meanwhile.
  await conn.run(
    `INSERT INTO ${table} (source_id, line, ${cols.join(', ')})
     SELECT ${sidList}[fi + 1], ${staged.line}, ${cols.join(', ')} FROM ${TYPED_TABLE} WHERE cls = 'row'`,
  );
  check();
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT ${sidList}[fi + 1], ([${files.map((f) => lit(f.display)).join(', ')}]::VARCHAR[])[fi + 1], ${staged.line} AS line, left(t, 4096), reason
     FROM ${TYPED_TABLE} WHERE cls = 'bad' ORDER BY fi, 3`,
  );
  const counts = await conn.all<Accounting & { fi: number }>(`SELECT fi, ${ACCOUNTING} FROM ${TYPED_TABLE} GROUP BY fi`);
  const byFi = new Map(counts.map((c) => [c.fi, c]));
  const updates: string[] = [];
  for (const [i, f] of files.entries()) {
    const sid = sids[i];
    if (sid === null || sid === undefined) continue;
    const c = byFi.get(i);
    const r: LoadResult & { fields: string } = { ...accountingResult(plan.kind, c), fields: staged.fields };
    if (r.linesRead !== staged.lines[i]) throw new Error(`batch line count mismatch for ${f.display}: ${r.linesRead} of ${staged.lines[i]}`);
    const n = (x: number) => String(Math.trunc(Number(x)));
    const ts = (x: string | null) => (x === null ? 'NULL::TIMESTAMPTZ' : `${lit(x)}::TIMESTAMPTZ`);
    updates.push(
      `(${n(sid)}, ${n(r.linesRead)}::BIGINT, ${n(r.records)}::BIGINT, ${n(r.headerLines)}::BIGINT, ${n(r.blankLines)}::BIGINT, ${n(r.overlapRecords)}::BIGINT, ${n(r.quarantined)}::BIGINT, ${ts(r.timeMin)}, ${ts(r.timeMax)})`,
    );
    results[i]!.result = r;
  }
  if (updates.length) {
    await conn.run(
      `UPDATE sources SET fields = ${lit(staged.fields)}, lines_read = x.l, records = x.r, header_lines = x.h, blank_lines = x.b, overlap_records = x.o,
         quarantined = x.q, time_min = x.tmin, time_max = x.tmax
       FROM (VALUES ${updates.join(', ')}) AS x(id, l, r, h, b, o, q, tmin, tmax) WHERE sources.source_id = x.id`,
    );
  }
  await conn.run(`DROP TABLE IF EXISTS ${TYPED_TABLE}; DROP TABLE IF EXISTS ${FILES}`);
  return results;
}

