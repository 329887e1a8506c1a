/**
 * Flow logs delivered to S3 as Parquet. Columns are mapped by name (AWS writes the field names
 * with '_' for '-'; either spelling is accepted). Each row is rendered back into the record's text
 * form and parsed by the same SQL as text delivery, so typing, '-' handling and quarantine
 * reasons are identical and the quarantined raw line is readable.
 */
import { kindOfLayout, normaliseName, isKnownField } from '../fields.ts';
import { flowHandler, typeFlows, type StagedFlows } from '../flow-load.ts';
import type { Detection, FormatHandler, LoadContext, Sample } from '../types.ts';

export function detectFlowParquet(sample: Sample): Detection | null {
  if (!sample.head.startsWith('PAR1')) return null;
  return { kind: 'vpc_flows', format: 'parquet', confidence: 0.6 };
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function parse(ctx: LoadContext): Promise<StagedFlows> {
  const { conn } = ctx;
  const cols = await conn.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet($path)`, { path: ctx.localPath });
  const names = cols.map((c) => normaliseName(c.column_name));
  if (!names.some(isKnownField)) {
    throw new Error(`Parquet columns (${cols.slice(0, 6).map((c) => c.column_name).join(', ')}…) are not flow-log fields`);
  }
  const text = cols.map((c) => `coalesce(replace(CAST(${ident(c.column_name)} AS VARCHAR), ' ', '_'), '-')`).join(", ' ', ");
  const kind = kindOfLayout(names);
  await conn.run('DROP TABLE IF EXISTS ts_pq');
  await conn.run(
    `CREATE TEMP TABLE ts_pq AS SELECT file_row_number + 1 AS line, concat_ws(' ', ${text}) AS t
     FROM read_parquet($path, file_row_number = true)`,
    { path: ctx.localPath },
  );
  ctx.progress(0, 0);
  const columns = await typeFlows(ctx, {
    kind,
    src: `(SELECT line, t, NULL::TIMESTAMPTZ AS ev_ts, NULL::VARCHAR AS stream, NULL::VARCHAR AS pre_reason, NULL::VARCHAR AS raw, false AS meta FROM ts_pq)`,
    params: {},
    segments: [{ lo: null, hi: null, names }],
    headers: [],
    tsPrefix: false,
    latin1: false,
  });
  await conn.run('DROP TABLE IF EXISTS ts_pq');
  return { kind, columns, fields: names.join(' ') };
}

export const flowParquetHandler: FormatHandler = flowHandler('flow-parquet', detectFlowParquet, parse);
