/**
 * Reads a text file (plain or .gz) into a temporary table, one row per line, in file order, so
 * every line can be numbered (rowid + 1) and accounted for. DuckDB's CSV reader does the reading
 * with a delimiter, quote and comment setting that never split a line.
 */
import type { Conn } from '../db/index.ts';

export const RAW_TABLE = 'ts_raw';

/**
 * ts_raw as (line, t). Inside a transaction rowids of new rows start at a large base, so the
 * line number is the distance from the first rowid (insertion order is preserved).
 */
export const RAW_LINES = `(SELECT rowid - (SELECT min(rowid) FROM ${RAW_TABLE}) + 1 AS line, t FROM ${RAW_TABLE})`;

// A four-control-byte delimiter that does not occur in text (DuckDB takes up to 4 bytes and does
// not interpret escapes, so the bytes themselves go into the SQL text).
const DELIM = '\u0001\u0002\u0003\u0004';
const READ_OPTIONS = `delim='${DELIM}', quote='', escape='', comment='', header=false, auto_detect=false,
  strict_mode=false, columns={'t': 'VARCHAR'}, compression='auto'`;

export interface StagedLines {
  lines: number;
  /** True when the file was not valid UTF-8 and was read byte-for-byte as latin-1. */
  latin1: boolean;
}

/**
 * Fast path: UTF-8. When any line is rejected (invalid UTF-8, stray delimiter bytes), read the
 * whole file again as latin-1, which accepts every byte, so no line is ever dropped.
 */
export async function stageLines(conn: Conn, path: string, newline: '\n' | '\r\n'): Promise<StagedLines> {
  const nl = newline === '\r\n' ? `new_line='\\r\\n'` : `new_line='\\n'`;
  await conn.run(`DROP TABLE IF EXISTS ${RAW_TABLE}`);
  await conn.run(
    `CREATE TEMP TABLE ${RAW_TABLE} AS SELECT t FROM read_csv($path, ${READ_OPTIONS}, ${nl},
       store_rejects=true, rejects_table='ts_rejects', rejects_scan='ts_reject_scans')`,
    { path },
  );
  const rejected = await conn.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM ts_rejects');
  await conn.run('DROP TABLE IF EXISTS ts_rejects; DROP TABLE IF EXISTS ts_reject_scans');
  let latin1 = false;
  if (rejected && rejected.n > 0) {
    latin1 = true;
    await conn.run(`DROP TABLE ${RAW_TABLE}`);
    await conn.run(`CREATE TEMP TABLE ${RAW_TABLE} AS SELECT t FROM read_csv($path, ${READ_OPTIONS}, ${nl}, encoding='latin-1')`, { path });
  }
  const n = await conn.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${RAW_TABLE}`);
  return { lines: n?.n ?? 0, latin1 };
}

/** SQL test for text that holds control or (in latin-1 mode) non-ASCII bytes. */
export function binaryTest(column: string, latin1: boolean): string {
  return latin1
    ? `regexp_matches(${column}, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\xFF]')`
    : `regexp_matches(${column}, '[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]')`;
}
