/**
 * The SQL that turns flow-log lines into typed rows. Input: a relation of
 * (line, t, ev_ts, stream, pre_reason, raw, meta) — the line (or JSON item) number, the record
 * text, the CloudWatch event time and stream when the container carried them, a reason when the
 * container already rejected the item, the raw item text for quarantine (NULL = t), and whether
 * the item is container metadata rather than a record (counted with headers). Output (ts_typed): one row per input line with
 * cls = row | blank | header | bad, a reason for bad lines, and every column of the kind's table.
 * Splitting and casting happen here, in DuckDB, from the field descriptor table in fields.ts.
 */
import { fieldsOf, isKnownField, type FieldDef, type FlowKind } from './fields.ts';
import { binaryTest } from './lines.ts';

export const TYPED_TABLE = 'ts_typed';

export interface ParsePlan {
  kind: FlowKind;
  /** Field names (AWS spelling) in line order. */
  names: string[];
  /** Each line starts with an ISO timestamp (CloudWatch Logs export task files). */
  tsPrefix: boolean;
  latin1: boolean;
  /** The input carries `fi` (file index within a batch of files); it is passed through. */
  batch?: boolean;
}

/** Earliest start we accept: flow logs did not exist before 2015; 2010 leaves room for clock skew. */
export const EARLIEST_START = 1262304000;
/** Latest end we accept, relative to now (clock skew of the machine that wrote the file). */
export const FUTURE_SLACK_S = 86400;

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A Unix-seconds column as readable UTC text, guarded against values no timestamp can hold. */
function utc(col: string, fmt: string): string {
  return `CASE WHEN ${col} BETWEEN -62135596800 AND 253402300799 THEN strftime(make_timestamp(${col} * 1000000), '${fmt}') ELSE 'out of range' END`;
}

function typeWord(t: FieldDef['type']): string {
  return t === 'VARCHAR' ? 'text' : t === 'INTEGER' ? 'whole number (32-bit)' : 'whole number';
}

/**
 * SELECT producing ts_typed rows from `src` (a relation name or parenthesised query).
 * Parameters: $now (BIGINT, epoch seconds). `headers`: the header lines found in the file; they
 * passed parseFieldList (lowercase names, '-', '_', '$', braces, spaces), so they hold no quote.
 */
export function typedSelect(plan: ParsePlan, src: string, headers: string[] = [], out?: Set<string>): string {
  const all = fieldsOf(plan.kind);
  const pos = new Map(plan.names.map((n, i) => [n, i + 1 + (plan.tsPrefix ? 1 : 0)]));
  const n = plan.names.length;
  const cast = (f: FieldDef): string => {
    const p = pos.get(f.name);
    if (p === undefined) return `NULL::${f.type} AS ${f.column}`;
    return f.type === 'VARCHAR' ? `nullif(v${p}, '-') AS ${f.column}` : `TRY_CAST(nullif(v${p}, '-') AS ${f.type}) AS ${f.column}`;
  };
  const unknown = plan.names.map((name, i) => ({ name, p: i + 1 + (plan.tsPrefix ? 1 : 0) })).filter((x) => !isKnownField(x.name) || !all.some((f) => f.name === x.name));
  const extra = unknown.length
    ? `MAP([${unknown.map((u) => q(u.name)).join(', ')}]::VARCHAR[], [${unknown.map((u) => `v${u.p}`).join(', ')}]::VARCHAR[])`
    : 'NULL::MAP(VARCHAR, VARCHAR)';
  const checks: string[] = [];
  const binary = `WHEN ${binaryTest('t', plan.latin1)} THEN 'contains binary or non-text bytes, not a flow-log line'`;
  // A file that was valid UTF-8 rarely holds control bytes, and such a line almost never has the
  // right field count, so the regex runs only on lines that already fail (it is the costliest test).
  // NUL runs (a file pre-allocated and cut by a crash) are the common case and cheap to find.
  checks.push(plan.latin1 ? binary : `WHEN contains(t, chr(0)) THEN 'contains binary or non-text bytes, not a flow-log line'`);
  if (plan.tsPrefix) {
    checks.push(`WHEN ev_ts IS NULL THEN 'expected an ISO timestamp before the record (CloudWatch Logs export), found "' || left(v1, 40) || '"'`);
  }
  checks.push(
    plan.latin1
      ? `WHEN nf <> ${n} THEN 'expected ${n} fields, found ' || nf`
      : `WHEN nf <> ${n} THEN CASE ${binary} ELSE 'expected ${n} fields, found ' || nf END`,
  );
  for (const f of all) {
    const p = pos.get(f.name);
    if (p === undefined || f.type === 'VARCHAR') continue;
    checks.push(`WHEN ${f.column} IS NULL AND v${p} <> '-' THEN 'field ${f.name} is not a ${typeWord(f.type)}: "' || left(v${p}, 40) || '"'`);
  }
  checks.push(...timeChecks(pos.has('start'), pos.has('end')).map((c) => `WHEN ${c.cond} THEN ${c.reason}`));
  const off = plan.tsPrefix ? 1 : 0;
  const cols = all.map((f) => f.column);
  // Only the columns that will be written (or compared) are carried; constant NULL columns cost
  // as much to materialise as real ones.
  const keep = (c: string) => !out || out.has(c);
  const outCols = [
    ...cols.filter(keep),
    ...(keep('extra') ? ['extra'] : []),
    ...(keep('log_stream') ? ['stream AS log_stream'] : []),
    ...(keep('event_ts') ? ['ev_ts AS event_ts'] : []),
  ];
  const vs = Array.from({ length: n + off }, (_, i) => `f[${i + 1}] AS v${i + 1}`).join(', ');
  const fi = plan.batch ? 'fi, ' : '';
  return `
WITH s AS (
  SELECT ${fi}line, t, stream, pre_reason, raw, meta,
    ${plan.tsPrefix ? `coalesce(ev_ts, TRY_CAST(split_part(ltrim(t, ' '), ' ', 1) AS TIMESTAMPTZ))` : 'ev_ts'} AS ev_ts,
    CASE WHEN t IS NULL THEN true WHEN strlen(t) > 16 THEN false ELSE trim(t, ' ' || chr(9) || chr(13)) = '' END AS blank,
    meta ${headers.length ? `OR t IN (${headers.map(q).join(', ')})` : ''} AS is_header,
    CASE WHEN t IS NULL THEN NULL
         WHEN contains(t, '  ') OR contains(t, chr(9)) OR contains(t, chr(13)) OR starts_with(t, ' ') OR ends_with(t, ' ')
           THEN regexp_split_to_array(trim(t, ' ' || chr(9) || chr(13)), '[ \\t\\r]+')
         ELSE string_split(t, ' ') END AS f
  FROM ${src}
), v AS (
  SELECT ${fi}line, t, stream, pre_reason, raw, meta, ev_ts, blank, is_header, len(f) - ${off} AS nf, ${vs} FROM s
), c AS (
  SELECT ${fi}line, t, stream, pre_reason, raw, meta, ev_ts, blank, is_header, nf, ${Array.from({ length: n + off }, (_, i) => `v${i + 1}`).join(', ')},
    ${all.map(cast).join(',\n    ')},
    ${extra} AS extra
  FROM v
), r AS (
  SELECT *, CASE WHEN pre_reason IS NOT NULL THEN pre_reason WHEN blank OR is_header THEN NULL ${checks.join('\n    ')} END AS reason FROM c
)
SELECT ${fi}line, CASE WHEN pre_reason IS NOT NULL THEN 'bad' WHEN blank THEN 'blank' WHEN is_header THEN 'header' WHEN reason IS NULL THEN 'row' ELSE 'bad' END AS cls,
  reason, CASE WHEN reason IS NOT NULL THEN coalesce(raw, t) END AS t, ${outCols.join(', ')}
FROM r`;
}

/**
 * CASE branches for impossible times, over typed start_time / end_time columns; $now is the
 * current epoch second. Shared by the line-level parse and the typed read (batch-fast.ts).
 */
export function timeChecks(hasStart: boolean, hasEnd: boolean): { cond: string; reason: string }[] {
  const checks: { cond: string; reason: string }[] = [];
  if (hasStart) {
    checks.push({
      cond: `start_time < ${EARLIEST_START}`,
      reason: `'start ' || start_time || ' (' || ${utc('start_time', '%Y-%m-%d')} || ') is before 2010: not a possible flow-log time'`,
    });
  }
  if (hasStart && hasEnd) checks.push({ cond: 'end_time < start_time', reason: `'end ' || end_time || ' is before start ' || start_time` });
  if (hasEnd) {
    checks.push({ cond: `end_time > $now + ${FUTURE_SLACK_S}`, reason: `'end ' || end_time || ' (' || ${utc('end_time', '%Y-%m-%d %H:%M')} || ' UTC) is in the future'` });
  } else if (hasStart) {
    checks.push({ cond: `start_time > $now + ${FUTURE_SLACK_S}`, reason: `'start ' || start_time || ' is in the future'` });
  }
  return checks;
}

/** Columns of the kind's table that ts_typed carries, in table order. */
export function recordColumns(kind: FlowKind): string[] {
  return [...fieldsOf(kind).map((f) => f.column), 'extra', 'log_stream', 'event_ts'];
}
