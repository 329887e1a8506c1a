/**
 * The typed read of a batch of plain flow-log text files (plain-text.ts; S3 delivery with its
 * header, or headerless records): ONE read_csv over the file list with delim=' ' and the layout's
 * explicit column types ('-' is NULL), straight into ts_typed. No line is split into fields by
 * string functions; that was most of the ingest time.
 *
 * Every line still ends up somewhere: line 1 of an S3 file is its header (checked from the sample
 * before the batch was formed); a line the reader rejects (wrong field count, a value that is not a
 * number, a repeated header) comes back from its rejects table with file and line number and goes
 * through the line-level parse (flow-sql.ts), which gives the same reasons as before; a typed row
 * with an impossible time gets its reason here, with its text rebuilt from the fields (exact for
 * a plain line, except numbers written with leading zeros or '+').
 *
 * Line numbers: the reader keeps file and line order (preserve_insertion_order, checked in
 * batch.ts), so the k-th accepted row of a file is line k plus the header plus the rejected lines
 * before it; rejected lines carry their own number from the reader.
 */
import type { Conn } from '../db/index.ts';
import { fieldsOf, OVERLAP_KEY, parseFieldList, type FieldDef, type FlowKind } from './fields.ts';
import { pick } from './flow-load.ts';
import { TYPED_TABLE, timeChecks, typedSelect, type ParsePlan } from './flow-sql.ts';
import type { BatchFile, BatchPlan, StagedBatch } from './batch.ts';

const REJ = 'ts_frej';
const REJ_SCAN = 'ts_frej_scan';
const REJ_LINES = 'ts_frej_lines';

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * Can files of this layout take the typed read? Every field must be one we know (unknown ones are
 * kept in `extra`, built by the line-level parse), once; and one field must be a number, so that
 * a header repeated inside a file fails a cast and is seen, instead of being read as a record.
 */
export function typedReadLayout(kind: FlowKind, names: string[]): boolean {
  const defs = names.map((n) => fieldsOf(kind).find((f) => f.name === n));
  if (defs.some((d) => d === undefined) || new Set(names).size !== names.length) return false;
  return defs.some((d) => d!.type !== 'VARCHAR');
}

export async function dropFast(conn: Conn): Promise<void> {
  await conn.run(`DROP TABLE IF EXISTS ${REJ}; DROP TABLE IF EXISTS ${REJ_SCAN}; DROP TABLE IF EXISTS ${REJ_LINES}`);
}

/** Stage step of the typed read; null when the batch must go another way (see batch.ts). */
export async function stageTyped(conn: Conn, plan: BatchPlan, files: BatchFile[]): Promise<StagedBatch | null> {
  const all = fieldsOf(plan.kind);
  const defs = plan.names.map((n) => all.find((f) => f.name === n)!);
  const cols = defs.map((d) => d.column);
  // Columns the write step compares (overlap key, times) exist even when the layout lacks them.
  const wanted = new Set([...cols, ...OVERLAP_KEY[plan.kind], 'start_time', 'end_time']);
  const outDefs = all.filter((f) => wanted.has(f.column));
  const out = outDefs.map((f: FieldDef) => (cols.includes(f.column) ? f.column : `NULL::${f.type} AS ${f.column}`));
  const off = plan.header ? 1 : 0;
  const now = Math.floor(Date.now() / 1000);
  const checks = timeChecks(cols.includes('start_time'), cols.includes('end_time'));
  const text = `concat_ws(' ', ${defs.map((d) => (d.type === 'VARCHAR' ? `coalesce(${d.column}, '-')` : `coalesce(${d.column}::VARCHAR, '-')`)).join(', ')})`;
  const paths = files.map((f) => lit(f.path)).join(', ');
  const read = `read_csv([${paths}], delim=' ', header=${plan.header}, auto_detect=false, quote='', escape='', comment='', nullstr='-',
    strict_mode=true, new_line='\\n', compression='auto', columns={${defs.map((d) => `'${d.column}': '${d.type}'`).join(', ')}},
    store_rejects=true, rejects_table='${REJ}', rejects_scan='${REJ_SCAN}')`;
  // Times are judged after the read (below): a CASE over the read's columns in the same statement
  // once measured twice as slow on two threads. An empty text field comes from a stray space
  // (leading, trailing or doubled) on a line that also lacks a field; the line-level parse splits
  // such a line on whitespace runs, so it goes there (below). It is flagged in the read itself
  // (measured +3 % of the read), not by a second scan of every text column.
  const empty = defs.filter((d) => d.type === 'VARCHAR').map((d) => `${d.column} = ''`);
  await conn.run(
    `CREATE TEMP TABLE ${TYPED_TABLE} AS
     SELECT file_index::INTEGER AS fi, NULL::BIGINT AS line, 'row' AS cls, NULL::VARCHAR AS reason, NULL::VARCHAR AS t,
       ${empty.length ? `(${empty.join(' OR ')})` : 'false'} AS empty_field, ${out.join(', ')} FROM ${read}`,
  );
  if (checks.length) {
    const cond = checks.map((c) => `(${c.cond})`).join(' OR ');
    const sql = `UPDATE ${TYPED_TABLE} SET cls = 'bad', reason = CASE ${checks.map((c) => `WHEN ${c.cond} THEN ${c.reason}`).join(' ')} END, t = ${text} WHERE ${cond}`;
    await conn.run(sql, pick(sql, { now }));
  }

  // The rejects name their file by (scan_id, file_id) through the scan table. DuckDB 1.5.6 sometimes
  // gives two files of one parallel read the same file_id (seen: a.log and e.log both file 0, so
  // each file's rejects were joined to both paths). The file of a reject is then unknown: the batch
  // goes the line-level way.
  const ambiguous = await conn.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM (SELECT scan_id, file_id FROM ${REJ_SCAN} GROUP BY ALL HAVING count(*) > 1)`);
  if ((ambiguous?.n ?? 0) > 0) return null;
  // Rejected lines, once each, with the batch index of their file.
  await conn.run(
    `CREATE TEMP TABLE ${REJ_LINES} AS
     SELECT (list_position([${paths}]::VARCHAR[], s.file_path) - 1)::INTEGER AS fi, r.line::BIGINT AS line, any_value(r.csv_line) AS t,
       bool_or(r.error_type NOT IN ('CAST', 'TOO MANY COLUMNS', 'MISSING COLUMNS') OR starts_with(r.csv_line, chr(10))) AS odd
     FROM ${REJ} r JOIN ${REJ_SCAN} s USING (scan_id, file_id) GROUP BY ALL`,
  );
  const odd = await conn.one<{ n: number; odd: number }>(`SELECT count(*)::BIGINT AS n, count(*) FILTER (odd OR fi < 0)::BIGINT AS odd FROM ${REJ_LINES}`);
  // Anything but a field-count or cast error (or a line the reader glued to a blank one) is
  // beyond what this path accounts for: the batch goes the line-level way.
  if ((odd?.odd ?? 0) > 0) return null;
  const rejected = odd?.n ?? 0;

  // Headers inside files: the same layout (S3 files concatenated) is a header line; another
  // layout, or a header in headerless files, needs the one-by-one path, as in batch.ts.
  const headers: string[] = [];
  if (rejected > 0) {
    const candidates = await conn.all<{ t: string }>(
      `SELECT DISTINCT t FROM ${REJ_LINES} WHERE (t[1] BETWEEN 'a' AND 'z' OR t[1] = '$')
         AND regexp_full_match(t, '[a-z\${}_-][a-z0-9\${}_ \\t\\r-]*') LIMIT 1000`,
    );
    for (const c of candidates) {
      const names = parseFieldList(c.t);
      if (names === null) continue;
      if (!plan.header || names.join(' ') !== plan.names.join(' ') || c.t.includes("'")) return null;
      headers.push(c.t);
    }
  }

  const counts = await conn.all<{ fi: number; r0: number; n: number; rej: number; empty: number }>(
    `SELECT f.fi, coalesce(a.r0, 0) AS r0, coalesce(a.n, 0) AS n, coalesce(b.n, 0) AS rej, coalesce(a.empty, 0) AS empty
     FROM (SELECT unnest(range(${files.length}))::INTEGER AS fi) f
     LEFT JOIN (SELECT fi, min(rowid) AS r0, count(*) AS n, count(*) FILTER (WHERE empty_field) AS empty FROM ${TYPED_TABLE} GROUP BY fi) a USING (fi)
     LEFT JOIN (SELECT fi, count(*) AS n FROM ${REJ_LINES} GROUP BY fi) b USING (fi) ORDER BY f.fi`,
  );
  // Header + rows + rejected lines of each file must be the lines the hashing pass counted.
  if (counts.some((c) => off + Number(c.n) + Number(c.rej) !== files[c.fi]?.lines)) return null;
  const firsts = `([${counts.map((c) => String(Math.trunc(Number(c.r0)))).join(', ')}]::BIGINT[])`;
  const line = `coalesce(line, rowid - ${firsts}[fi + 1] + ${1 + off})`;
  if (rejected > 0) {
    // The k-th accepted row of a file follows every rejected line j (j-th, by line) that has
    // fewer than k accepted rows before it: line_j - header - j < k.
    await conn.run(
      `UPDATE ${TYPED_TABLE} SET line = u.line FROM (
         SELECT a.rid, a.k + ${off} + coalesce(g.j, 0) AS line
         FROM (SELECT rowid AS rid, fi, rowid - ${firsts}[fi + 1] + 1 AS k FROM ${TYPED_TABLE} WHERE fi IN (SELECT DISTINCT fi FROM ${REJ_LINES})) a
         ASOF LEFT JOIN (SELECT fi, gap, max(j) AS j FROM (
             SELECT fi, line - ${off} - row_number() OVER (PARTITION BY fi ORDER BY line) AS gap, row_number() OVER (PARTITION BY fi ORDER BY line) AS j FROM ${REJ_LINES})
           GROUP BY fi, gap) g
           ON a.fi = g.fi AND a.k > g.gap
       ) u WHERE ${TYPED_TABLE}.rowid = u.rid`,
    );
  }
  // Rows with an empty text field (flagged in the read) go to the line-level parse, with their text
  // rebuilt exactly ('' stays '', NULL was '-').
  if (counts.some((c) => Number(c.empty) > 0)) {
    await conn.run(`INSERT INTO ${REJ_LINES} (fi, line, t, odd) SELECT fi, ${line}, ${text}, false FROM ${TYPED_TABLE} WHERE empty_field`);
    await conn.run(`DELETE FROM ${TYPED_TABLE} WHERE empty_field`);
  }
  if (((await conn.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM ${REJ_LINES}`))?.n ?? 0) > 0) {
    const parse: ParsePlan = { kind: plan.kind, names: plan.names, tsPrefix: false, latin1: false, batch: true };
    const src = `(SELECT fi, line, t, NULL::TIMESTAMPTZ AS ev_ts, NULL::VARCHAR AS stream, NULL::VARCHAR AS pre_reason, NULL::VARCHAR AS raw, false AS meta FROM ${REJ_LINES})`;
    const sel = typedSelect(parse, src, headers, wanted);
    await conn.run(`INSERT INTO ${TYPED_TABLE} BY NAME ${sel}`, pick(sel, { now }));
  }
  if (plan.header) {
    await conn.run(`INSERT INTO ${TYPED_TABLE} (fi, line, cls) SELECT unnest(range(${files.length}))::INTEGER, 1, 'header'`);
  }
  await dropFast(conn);
  return {
    columns: cols,
    fields: plan.names.join(' '),
    lines: counts.map((c) => off + Number(c.n) + Number(c.rej)),
    line,
  };
}
