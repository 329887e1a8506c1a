/**
 * Shared reading for the JSON source kinds (metrics, VPN/BGP logs, config snapshots).
 * DuckDB parses: a file becomes a temp table of JSON documents, one row per document (several
 * pretty-printed pages, JSON lines, or timestamp-prefixed export lines). JavaScript only picks the
 * mode and names the table; nothing here loops over records.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { AppError } from '../../../shared/result.ts';
import type { Conn } from '../../db/index.ts';
import type { LoadContext, LoadResult } from '../types.ts';

/** Quarantined text is cut to this many characters. */
export const RAW_MAX = 4096;

/** A bare IPv4 address, as a capture group, not glued to other digits or dots. */
export const IPV4_RE = String.raw`(?:^|[^0-9.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?:$|[^0-9.]|\.(?:$|[^0-9]))`;
/** A Site-to-Site VPN connection id; AWS uses 8 or 17 hex digits, shortened ids in notes are tolerated. */
export const VPN_ID_RE = String.raw`(vpn-[0-9a-fA-F]+)`;

/** A line that starts with an ISO timestamp, an optional stream name, then JSON (export task, `aws logs tail`). */
export const PREFIXED_LINE_RE = String.raw`^(\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?)\s+(?:(\S+)\s+)?([\[{].*)$`;
const PREFIXED_LINE_JS = /^\d{4}-\d\d-\d\d[T ][0-9:.]+(?:Z|[+-]\d\d:?\d\d)?\s+(?:\S+\s+)?[[{]/;

/** Members whose values are secrets: a tunnel's pre-shared key, and the CGW configuration XML that repeats them. */
export const SECRET_MEMBERS = ['PreSharedKey', 'CustomerGatewayConfiguration'];

/**
 * SQL that blanks secrets in JSON text before it reaches any table: the string value of every
 * secret member becomes null, whatever the layout (a key cannot occur unescaped inside a JSON
 * string, so this never breaks the JSON). Values cut off at the end of the text (truncated files)
 * are caught too, and so are <pre_shared_key> elements of stray CGW configuration XML.
 */
export function redactSql(expr: string): string {
  const value = String.raw`"(?:[^"\\]|\\.)*(?:"|$)`;
  let e = expr;
  for (const key of SECRET_MEMBERS) {
    e = `regexp_replace(${e}, '${String.raw`("${key}"\s*:\s*)`}${value}', '${String.raw`\1null`}', 'g')`;
  }
  return `regexp_replace(${e}, '${String.raw`<pre_shared_key>[^<]*(?:</pre_shared_key>|$)`}', '<pre_shared_key>[removed]</pre_shared_key>', 'g')`;
}

/** Removes the (already blanked) secret members from minified JSON, so the keys are gone as well. */
export function dropSecretMembersSql(minified: string): string {
  let e = `${minified}::VARCHAR`;
  for (const key of SECRET_MEMBERS) {
    e = `regexp_replace(${e}, ',"${key}":null', '', 'g')`;
    e = `regexp_replace(${e}, '"${key}":null,?', '', 'g')`;
  }
  return `json(${e})`;
}

export function isPrefixedLine(line: string): boolean {
  return PREFIXED_LINE_JS.test(line);
}

function firstLineIsJson(sample: { firstLine: string }): boolean {
  const l = sample.firstLine;
  if (!(l.startsWith('{') || l.startsWith('['))) return false;
  try {
    JSON.parse(l);
    return true;
  } catch {
    return false;
  }
}

export interface DocsTable {
  /** Temp table (doc_no, doc JSON, pre_ts VARCHAR, pre_stream VARCHAR), in file order by doc_no. */
  table: string;
  docs: number;
  blankLines: number;
  /** Lines or whole file already quarantined by the reader. */
  quarantined: number;
  /** True when the whole file was unreadable and quarantined as one row. */
  failed: boolean;
  /** True when each document is one line of the file (doc_no = line number). */
  lineMode: boolean;
}

export interface ReadOptions {
  /** Apply redactSql to every document and every quarantined text. */
  redact?: boolean;
}

/** Temp tables are per source so two loads on one connection never collide. */
export function tempName(ctx: LoadContext, what: string): string {
  return `_ts_${what}_${Math.trunc(ctx.sourceId)}`;
}

export function checkCancelled(ctx: LoadContext): void {
  if (ctx.signal.aborted) throw new AppError('cancelled', 'The import was cancelled.');
}

/**
 * Reads ctx.localPath into a temp table of JSON documents, without ever raising a DuckDB error
 * (the ingest service runs each file in one transaction, and an error would abort it):
 * - Line mode (every line is one JSON value, or an ISO timestamp + optional stream + JSON): bad
 *   lines are quarantined one by one with their line number.
 * - Document mode (pretty-printed, several concatenated documents): the documents are joined into
 *   one JSON array (a closing bracket, a line break and an opening bracket can only sit between two
 *   documents, since JSON strings hold no raw line breaks), checked with json_valid and unnested in
 *   file order. Invalid text quarantines the whole file.
 */
export async function readDocs(ctx: LoadContext, opts: ReadOptions = {}): Promise<DocsTable> {
  const { conn } = ctx;
  const table = tempName(ctx, 'docs');
  const lines = tempName(ctx, 'lines');
  const red = (e: string) => (opts.redact ? redactSql(e) : e);
  await dropTemp(conn, table, lines);
  await conn.run(`CREATE TEMP TABLE ${table} (doc_no BIGINT, doc JSON, pre_ts VARCHAR, pre_stream VARCHAR)`);
  await stageLines(ctx, lines, red);
  const firstLine = ctx.sample?.firstLine ?? readFirstLine(ctx.localPath);
  const prefixed = isPrefixedLine(firstLine);
  if (prefixed || firstLineIsJson({ firstLine })) {
    const parts = prefixed
      ? `regexp_extract(text, '${PREFIXED_LINE_RE}', ['ts', 'stream', 'body'])`
      : `{'ts': NULL::VARCHAR, 'stream': NULL::VARCHAR, 'body': text}`;
    await conn.run(
      `INSERT INTO ${table}
       SELECT line, TRY_CAST(p.body AS JSON), nullif(p.ts, ''), nullif(p.stream, '')
       FROM (SELECT line, ${parts} AS p FROM ${lines} WHERE trim(text) <> '')
       WHERE p.body <> '' AND json_valid(p.body)`,
    );
    await conn.run(
      `INSERT INTO quarantine (source_id, file, line, raw, reason)
       SELECT $sid, $file, line, left(text, ${RAW_MAX}), $reason
       FROM ${lines} l
       WHERE trim(text) <> '' AND NOT EXISTS (SELECT 1 FROM ${table} d WHERE d.doc_no = l.line)`,
      { sid: ctx.sourceId, file: ctx.displayPath, reason: prefixed ? BAD_PREFIXED_LINE : BAD_JSON_LINE },
    );
    const c = await conn.one<{ docs: number; blank: number; bad: number }>(
      `SELECT (SELECT count(*) FROM ${table})::INTEGER AS docs,
              (SELECT count(*) FROM ${lines} WHERE trim(text) = '')::INTEGER AS blank,
              (SELECT count(*) FROM ${lines} WHERE trim(text) <> '')::INTEGER - (SELECT count(*) FROM ${table})::INTEGER AS bad`,
    );
    await dropTemp(conn, lines);
    return { table, docs: c!.docs, blankLines: c!.blank, quarantined: c!.bad, failed: false, lineMode: true };
  }

  const text = tempName(ctx, 'text');
  await dropTemp(conn, text);
  await conn.run(`CREATE TEMP TABLE ${text} AS SELECT coalesce(string_agg(text, chr(10) ORDER BY line), '') AS t FROM ${lines}`);
  await dropTemp(conn, lines);
  const joined = tempName(ctx, 'joined');
  await dropTemp(conn, joined);
  await conn.run(
    `CREATE TEMP TABLE ${joined} AS
     SELECT '[' || regexp_replace(t, '${String.raw`([}\]])[ \t\r]*\n\s*([{\[])`}', '${String.raw`\1,\2`}', 'g') || ']' AS w FROM ${text}`,
  );
  const valid = await conn.one<{ ok: boolean }>(`SELECT json_valid(w) AS ok FROM ${joined}`);
  if (!valid?.ok) {
    await quarantineWhole(conn, ctx, text, 'The file is not valid JSON (nor JSON lines, nor JSON documents one after another); it may be truncated or damaged.');
    await dropTemp(conn, joined, text);
    return { table, docs: 0, blankLines: 0, quarantined: 1, failed: true, lineMode: false };
  }
  await conn.run(
    `INSERT INTO ${table}
     SELECT i, d, NULL, NULL FROM (SELECT unnest(l) AS d, generate_subscripts(l, 1) AS i FROM (SELECT json_extract(w, '$[*]') AS l FROM ${joined}))`,
  );
  const n = await conn.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${table}`);
  await dropTemp(conn, joined, text);
  return { table, docs: n!.n, blankLines: 0, quarantined: 0, failed: false, lineMode: false };
}

// Four control bytes that never occur in text: DuckDB's CSV reader then never splits a line, and it
// decompresses .gz by itself (the service names gzip content *.gz).
const DELIM = '\u0001\u0002\u0003\u0004';
const LINE_READ = `delim='${DELIM}', quote='', escape='', comment='', header=false, auto_detect=false,
  strict_mode=false, columns={'t': 'VARCHAR'}, compression='auto'`;

/**
 * lines(line, text) in file order, 1-based, blank lines as ''. Text that is not UTF-8 is read again
 * as latin-1 so that no line is dropped.
 */
async function stageLines(ctx: LoadContext, lines: string, red: (e: string) => string): Promise<void> {
  const { conn } = ctx;
  const raw = tempName(ctx, 'raw');
  const crlf = /\r\n/.test(ctx.sample?.head.slice(0, 4096) ?? '');
  const nl = crlf ? `new_line='\\r\\n'` : `new_line='\\n'`;
  const rejects = tempName(ctx, 'rejects');
  await dropTemp(conn, raw, rejects, `${rejects}_scan`);
  await conn.run(
    `CREATE TEMP TABLE ${raw} AS SELECT t FROM read_csv($p, ${LINE_READ}, ${nl},
       store_rejects=true, rejects_table='${rejects}', rejects_scan='${rejects}_scan')`,
    { p: ctx.localPath },
  );
  const bad = await conn.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM ${rejects}`);
  await dropTemp(conn, rejects, `${rejects}_scan`);
  if (bad && bad.n > 0) {
    await dropTemp(conn, raw);
    await conn.run(`CREATE TEMP TABLE ${raw} AS SELECT t FROM read_csv($p, ${LINE_READ}, ${nl}, encoding='latin-1')`, { p: ctx.localPath });
  }
  await conn.run(
    `CREATE TEMP TABLE ${lines} AS
     SELECT rowid - (SELECT min(rowid) FROM ${raw}) + 1 AS line,
            ${red(`rtrim(CASE WHEN rowid = (SELECT min(rowid) FROM ${raw}) THEN ltrim(coalesce(t, ''), chr(65279)) ELSE coalesce(t, '') END, chr(13))`)} AS text
     FROM ${raw}`,
  );
  await dropTemp(conn, raw);
}

export const BAD_JSON_LINE = 'Line is not valid JSON.';
export const BAD_PREFIXED_LINE = 'Line does not hold an ISO timestamp followed by a JSON message.';

/** One quarantine row for the whole file (line NULL), holding its first 4 KB (already redacted). */
async function quarantineWhole(conn: Conn, ctx: LoadContext, text: string, reason: string): Promise<void> {
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason) SELECT $sid, $file, NULL, left(t, ${RAW_MAX}), $reason FROM ${text}`,
    { sid: ctx.sourceId, file: ctx.displayPath, reason },
  );
}

/** Lines or files the document reader quarantined; each counts as one item read. */
export async function readerQuarantines(ctx: LoadContext): Promise<number> {
  const r = await ctx.conn.one<{ n: number }>(
    `SELECT count(*)::INTEGER AS n FROM quarantine WHERE source_id = $sid AND (line IS NULL OR reason IN ($a, $b))`,
    { sid: ctx.sourceId, a: BAD_JSON_LINE, b: BAD_PREFIXED_LINE },
  );
  return r!.n;
}

export async function dropTemp(conn: Conn, ...tables: string[]): Promise<void> {
  for (const t of tables) await conn.run(`DROP TABLE IF EXISTS ${t}`);
}

/** Quarantine rows already written for this source (by the reader and the loader). */
export async function quarantineCount(conn: Conn, sourceId: number): Promise<number> {
  const r = await conn.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM quarantine WHERE source_id = $sid', { sid: sourceId });
  return r!.n;
}

/** The file's base name, for attribution by file name (vpn-…, tunnel IP, tgw-rtb-…). */
export function fileName(ctx: LoadContext): string {
  return basename(ctx.displayPath.replace(/[?#].*$/, ''));
}

export function emptyResult(): LoadResult {
  return {
    linesRead: 0,
    records: 0,
    headerLines: 0,
    blankLines: 0,
    overlapRecords: 0,
    quarantined: 0,
    timeMin: null,
    timeMax: null,
    status: 'complete',
    message: null,
  };
}

/** First non-empty line (trimmed) within the first 64 KiB, as detection saw it. */
export function readFirstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    for (const l of buf.subarray(0, n).toString('utf8').split('\n')) if (l.trim() !== '') return l.trim();
    return '';
  } finally {
    closeSync(fd);
  }
}
