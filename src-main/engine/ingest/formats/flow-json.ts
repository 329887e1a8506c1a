/**
 * Flow records inside CloudWatch Logs JSON: `aws logs filter-log-events` / `get-log-events`
 * output (several pasted pages = several JSON documents one after another), subscription payloads
 * (logEvents), and `{"message": …}` lines. DuckDB reads the JSON; each event's message is split
 * by the same SQL as text records. Items are numbered in file order across documents.
 */
import { DEFAULT_VPC_LAYOUT, kindOfLayout, parseUserFormat } from '../fields.ts';
import { flowHandler, typeFlows, type StagedFlows } from '../flow-load.ts';
import { dropStaged, INVALID_TEXT, stageLines } from '../lines.ts';
import type { Detection, FormatHandler, LoadContext, Sample } from '../types.ts';
import { looksLikeRecord, streamFromPath } from './flow-text.ts';

const MESSAGE = /"message"\s*:\s*("(?:[^"\\]|\\.)*")/;

export function detectFlowJson(sample: Sample): Detection | null {
  const head = sample.head.trimStart();
  if (!head.startsWith('{') && !head.startsWith('[')) return null;
  const m = MESSAGE.exec(head);
  if (!m) {
    // A page with no events (`aws logs filter-log-events` / `get-log-events` for a quiet window):
    // zero records, nothing to quarantine.
    if (/^\{\s*"events"\s*:\s*\[\s*\]/.test(head) || (/"events"\s*:\s*\[\s*\]/.test(head) && /"(nextForwardToken|searchedLogStreams|nextBackwardToken)"\s*:/.test(head))) {
      return { kind: 'vpc_flows', format: 'cwl-events', confidence: 0.3, hints: { mode: 'documents' } };
    }
    return null;
  }
  let message: string;
  try {
    message = JSON.parse(m[1]!) as string;
  } catch {
    return null;
  }
  if (!looksLikeRecord(message)) return null;
  const lines = /"(events|logEvents)"\s*:/.test(head) ? 'documents' : isJsonLine(sample.firstLine) ? 'lines' : 'documents';
  const container = /"logEvents"\s*:/.test(head) ? 'cwl-subscription' : /"events"\s*:/.test(head) ? 'cwl-events' : 'json-message';
  return { kind: 'vpc_flows', format: container, confidence: 0.85, hints: { mode: lines } };
}

function isJsonLine(line: string): boolean {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

// One item per event (or per document without an events list), in document order.
const ITEMS_FROM_DOCS = `
CREATE TEMP TABLE ts_items AS
WITH d AS (SELECT rowid - (SELECT min(rowid) FROM ts_docs) AS doc, json AS d FROM ts_docs),
e AS (
  SELECT doc, d,
    CASE WHEN json_type(d, '$.events') = 'ARRAY' THEN json_extract(d, '$.events[*]')
         WHEN json_type(d, '$.logEvents') = 'ARRAY' THEN json_extract(d, '$.logEvents[*]')
         ELSE [d] END AS evs
  FROM d
), u AS (SELECT doc, d, unnest(evs) AS ev, unnest(range(len(evs))) AS idx FROM e)
SELECT row_number() OVER (ORDER BY doc, idx) AS line, d, ev, NULL::VARCHAR AS text, false AS invalid FROM u`;

const itemsFromLines = (src: string) => `
CREATE TEMP TABLE ts_items AS
SELECT line, NULL::JSON AS d, CASE WHEN NOT invalid AND json_valid(t) THEN t::JSON END AS ev, t AS text, invalid FROM ${src}`;

const ITEM_SRC = `(SELECT line,
    CASE WHEN json_type(ev, '$.message') = 'VARCHAR' THEN ev->>'$.message' END AS t,
    CASE WHEN TRY_CAST(ev->>'$.timestamp' AS BIGINT) IS NOT NULL THEN epoch_ms(TRY_CAST(ev->>'$.timestamp' AS BIGINT)) END AS ev_ts,
    coalesce(ev->>'$.logStreamName', ev->>'$.logStream', d->>'$.logStream', $stream) AS stream,
    CASE WHEN invalid THEN '${INVALID_TEXT}'
         WHEN ev IS NULL AND text IS NOT NULL AND trim(text) <> '' THEN 'not valid JSON'
         WHEN ev IS NULL THEN NULL
         WHEN json_type(ev) <> 'OBJECT' THEN 'JSON item is not an object (expected a CloudWatch Logs event)'
         WHEN json_type(ev, '$.message') IS DISTINCT FROM 'VARCHAR' THEN 'JSON item has no "message" text (expected a CloudWatch Logs event)'
    END AS pre_reason,
    CASE WHEN ev IS NULL THEN text ELSE left(ev::VARCHAR, 4096) END AS raw,
    coalesce(d->>'$.messageType' = 'CONTROL_MESSAGE', false) AS meta
  FROM ts_items)`;

async function parse(ctx: LoadContext): Promise<StagedFlows> {
  const { conn } = ctx;
  const layout = ctx.options.format ? parseUserFormat(ctx.options.format) : DEFAULT_VPC_LAYOUT;
  const mode = ctx.detection.hints?.mode === 'lines' ? 'lines' : 'documents';
  if (mode === 'lines') {
    const staged = await stageLines(conn, ctx.localPath, /\r\n/.test(ctx.sample.head.slice(0, 4096)) ? '\r\n' : '\n');
    await conn.run('DROP TABLE IF EXISTS ts_items');
    await conn.run(itemsFromLines(staged.src));
    await dropStaged(conn);
  } else {
    await conn.run('DROP TABLE IF EXISTS ts_docs; DROP TABLE IF EXISTS ts_items');
    await conn.run(`CREATE TEMP TABLE ts_docs AS SELECT json FROM read_json_objects($path, format='auto')`, { path: ctx.localPath });
    await conn.run(ITEMS_FROM_DOCS);
    await conn.run('DROP TABLE ts_docs');
  }
  ctx.progress(0, 0);
  const kind = kindOfLayout(layout);
  const columns = await typeFlows(ctx, {
    cwl: true,
    kind,
    src: ITEM_SRC,
    params: { stream: streamFromPath(ctx.displayPath) },
    segments: [{ lo: null, hi: null, names: layout }],
    headers: [],
    tsPrefix: false,
    latin1: false,
  });
  await conn.run('DROP TABLE IF EXISTS ts_items');
  return { kind, columns, fields: layout.join(' ') };
}

export const flowJsonHandler: FormatHandler = flowHandler('flow-json', detectFlowJson, parse);
