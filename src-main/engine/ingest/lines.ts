/**
 * Reads a text file (plain or .gz) into a temporary table, one row per line, in file order, so
 * every line can be numbered and accounted for. DuckDB's CSV reader does the reading
 * with a delimiter, quote and comment setting that never split a line.
 */
import type { Conn } from '../db/index.ts';

export const RAW_TABLE = 'ts_raw';
const FIXED_TABLE = 'ts_lines';

export interface StagedLines {
  lines: number;
  /** Lines the reader rejected (invalid UTF-8, stray delimiter bytes); they are in `src` with invalid = true. */
  rejected: number;
  /** Relation (line, t, invalid) over every line of the file, numbered from 1 in file order. */
  src: string;
  latin1: false;
}

// A four-control-byte delimiter that does not occur in text (DuckDB takes up to 4 bytes and does
// not interpret escapes, so the bytes themselves go into the SQL text).
const DELIM = '\u0001\u0002\u0003\u0004';
const READ_OPTIONS = `delim='${DELIM}', quote='', escape='', comment='', header=false, auto_detect=false,
  strict_mode=false, columns={'t': 'VARCHAR'}, compression='auto'`;

/**
 * Reads every line as UTF-8 text. The reader sets aside lines it cannot take (invalid UTF-8)
 * with their line numbers; they come back as invalid rows, and the accepted rows are renumbered
 * around them, so the numbering still matches the file (as `grep -n` counts).
 */
export async function stageLines(conn: Conn, path: string, newline: '\n' | '\r\n'): Promise<StagedLines> {
  const nl = newline === '\r\n' ? `new_line='\\r\\n'` : `new_line='\\n'`;
  await conn.run(`DROP TABLE IF EXISTS ${RAW_TABLE}; DROP TABLE IF EXISTS ${FIXED_TABLE}`);
  await assertReadOrder(conn);
  await conn.run(
    `CREATE TEMP TABLE ${RAW_TABLE} AS SELECT t FROM read_csv($path, ${READ_OPTIONS}, ${nl},
       store_rejects=true, rejects_table='ts_rejects', rejects_scan='ts_reject_scans')`,
    { path },
  );
  const rejected = (await conn.one<{ n: number }>('SELECT count(DISTINCT line)::BIGINT AS n FROM ts_rejects'))?.n ?? 0;
  // Inside a transaction rowids of new rows start at a large base: number lines from the first.
  const accepted = `(SELECT rowid - (SELECT min(rowid) FROM ${RAW_TABLE}) + 1 AS k, t FROM ${RAW_TABLE})`;
  let src = `(SELECT k AS line, t, false AS invalid FROM ${accepted})`;
  if (rejected > 0) {
    // Rejected line r_j (j-th, sorted) has r_j - j accepted lines before it; accepted line k
    // therefore sits after every rejected line whose r_j - j < k.
    await conn.run(
      `CREATE TEMP TABLE ${FIXED_TABLE} AS
       WITH r AS (SELECT line AS rl, any_value(csv_line) AS raw FROM ts_rejects GROUP BY line),
       rj AS (SELECT rl, raw, rl - row_number() OVER (ORDER BY rl) AS gap FROM r)
       SELECT a.k + (SELECT count(*) FROM rj WHERE rj.gap < a.k) AS line, a.t, false AS invalid FROM ${accepted} a
       UNION ALL SELECT rl AS line, raw AS t, true AS invalid FROM rj`,
    );
    src = `(SELECT line, t, invalid FROM ${FIXED_TABLE})`;
  }
  await conn.run('DROP TABLE IF EXISTS ts_rejects; DROP TABLE IF EXISTS ts_reject_scans');
  const n = await conn.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${RAW_TABLE}`);
  return { lines: (n?.n ?? 0) + rejected, rejected, src, latin1: false };
}


/**
 * Line numbers come from read order (rowids of the staged table), which DuckDB keeps only while
 * preserve_insertion_order is on. It is instance-wide: if anything switched it off, stop rather
 * than number lines wrongly.
 */
export async function assertReadOrder(conn: Conn): Promise<void> {
  const v = await conn.one<{ v: unknown }>("SELECT current_setting('preserve_insertion_order') AS v");
  if (v?.v !== true && v?.v !== 'true') {
    throw new Error('preserve_insertion_order is off in this DuckDB instance; ingest numbers lines by read order and needs it on');
  }
}

export async function dropStaged(conn: Conn): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${RAW_TABLE}; DROP TABLE IF EXISTS ${FIXED_TABLE}`);
}

export const INVALID_TEXT = 'not valid UTF-8 text (binary or corrupted bytes), not a flow-log line';

/** SQL test for text that holds control or (in latin-1 mode) non-ASCII bytes. */
export function binaryTest(column: string, latin1: boolean): string {
  return latin1
    ? `regexp_matches(${column}, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\xFF]')`
    : `regexp_matches(${column}, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]')`;
}
