/**
 * CloudWatch metrics: `aws cloudwatch get-metric-data` and `get-metric-statistics` JSON (one or
 * several pages, concatenated or in separate files, points in any order), plus the query file given
 * to `--metric-data-queries`, which names the metric and dimensions behind each result Id.
 *
 * series_key: get-metric-data → "<Id>" (or "<Id>:<Label>" when a label exists), so pages of one
 * query merge; get-metric-statistics → "<Label>:<Stat>@<file name>", because its output names
 * neither the dimensions nor a query id and two files of one metric are different series.
 */
import type { Detection, FormatHandler, LoadContext, LoadResult, Sample } from '../types.ts';
import {
  RAW_MAX,
  checkCancelled,
  dropTemp,
  emptyResult,
  fileName,
  quarantineCount,
  readDocs,
  readerQuarantines,
  tempName,
} from './json-docs.ts';
import { namespaceOf, sqlFrom, unitOf } from './metric-sql.ts';
import { attributeSeries, reconcile } from './reconcile.ts';

export { attributeSeries, unattributedSeries } from './reconcile.ts';

const STATS = ['Average', 'Sum', 'Minimum', 'Maximum', 'SampleCount'];

function detectMetrics(sample: Sample): Detection | null {
  const h = sample.head.trimStart();
  if (!h.startsWith('{') && !h.startsWith('[')) return null;
  if (/"MetricDataResults"\s*:/.test(h)) return { kind: 'metrics', format: 'get-metric-data', confidence: 0.95 };
  if (/"Datapoints"\s*:/.test(h) && /"Timestamp"\s*:|"Label"\s*:|"Datapoints"\s*:\s*\[\s*\]/.test(h)) {
    return { kind: 'metrics', format: 'get-metric-statistics', confidence: 0.95 };
  }
  return null;
}

/** Items of every document: one row per (time, value) pair, and per statistic for get-metric-statistics. */
function itemsSql(docs: string, items: string): string {
  const statRows = STATS.map((s) => `SELECT '${s}' AS stat`).join(' UNION ALL ');
  return `
CREATE TEMP TABLE ${items} AS
WITH d AS (
  SELECT doc_no, doc,
         CASE WHEN json_type(doc, '$.MetricDataResults') = 'ARRAY' THEN 'gmd'
              WHEN json_type(doc, '$.Datapoints') = 'ARRAY' THEN 'gms' END AS k
  FROM ${docs}
), bad_docs AS (
  SELECT doc_no, 0 AS a, 0 AS b, 'bad' AS k, NULL AS qid, NULL AS label, NULL AS status, NULL AS stat, NULL AS unit,
         NULL AS ts_txt, NULL::JSON AS v, left(doc::VARCHAR, ${RAW_MAX}) AS raw,
         CASE WHEN json_type(doc) <> 'OBJECT' THEN 'Expected a get-metric-data or get-metric-statistics JSON object here.'
              WHEN json_exists(doc, '$.MetricDataResults') THEN 'MetricDataResults should be a list of results.'
              WHEN json_exists(doc, '$.Datapoints') THEN 'Datapoints should be a list of data points.'
              ELSE 'Not a CloudWatch metrics document: it has neither MetricDataResults nor Datapoints.' END AS reason
  FROM d WHERE k IS NULL
), res AS (
  SELECT doc_no, r_idx, r, json_extract_string(r, '$.Id') AS qid, json_extract_string(r, '$.Label') AS label,
         json_extract_string(r, '$.StatusCode') AS status,
         coalesce(json_extract_string(r, '$.Timestamps[*]'), []) AS tss, coalesce(json_extract(r, '$.Values[*]'), []) AS vals
  FROM (SELECT doc_no, unnest(l) AS r, generate_subscripts(l, 1) AS r_idx
        FROM (SELECT doc_no, json_extract(doc, '$.MetricDataResults[*]') AS l FROM d WHERE k = 'gmd'))
), gmd AS (
  SELECT doc_no, r_idx AS a, i AS b, 'gmd' AS k, qid, label, status, NULL AS stat, NULL AS unit,
         tss[i] AS ts_txt, vals[i] AS v,
         left(json_object('Id', qid, 'Label', label, 'Timestamp', tss[i], 'Value', vals[i])::VARCHAR, ${RAW_MAX}) AS raw,
         CASE WHEN tss[i] IS NULL OR vals[i] IS NULL THEN 'Timestamps and Values of this result have different lengths.' END AS reason
  FROM (SELECT *, unnest(range(1, greatest(len(tss), len(vals)) + 1)) AS i FROM res WHERE qid IS NOT NULL)
), bad_res AS (
  SELECT doc_no, r_idx AS a, 0 AS b, 'bad' AS k, qid, label, NULL AS status, NULL AS stat, NULL AS unit, NULL AS ts_txt, NULL::JSON AS v,
         left(r::VARCHAR, ${RAW_MAX}) AS raw, 'A MetricDataResults entry should be an object with an Id.' AS reason
  FROM res WHERE qid IS NULL
), dps AS (
  SELECT doc_no, dp_idx, dp, json_extract_string(doc, '$.Label') AS label
  FROM (SELECT doc_no, doc, unnest(l) AS dp, generate_subscripts(l, 1) AS dp_idx
        FROM (SELECT doc_no, doc, json_extract(doc, '$.Datapoints[*]') AS l FROM d WHERE k = 'gms'))
), gms AS (
  SELECT doc_no, dp_idx AS a, 0 AS b, 'gms' AS k, NULL AS qid, label, NULL AS status, s.stat,
         json_extract_string(dp, '$.Unit') AS unit, json_extract_string(dp, '$.Timestamp') AS ts_txt,
         json_extract(dp, '$.' || s.stat) AS v, left(dp::VARCHAR, ${RAW_MAX}) AS raw, NULL AS reason
  FROM dps, (${statRows}) s WHERE json_exists(dp, '$.' || s.stat)
  UNION ALL
  SELECT doc_no, dp_idx, 0, 'gms', NULL, label, NULL, x, json_extract_string(dp, '$.Unit'), json_extract_string(dp, '$.Timestamp'),
         json_extract(dp, '$.ExtendedStatistics."' || x || '"'), left(dp::VARCHAR, ${RAW_MAX}), NULL
  FROM (SELECT *, unnest(json_keys(dp, '$.ExtendedStatistics')) AS x FROM dps WHERE json_type(dp, '$.ExtendedStatistics') = 'OBJECT')
  WHERE regexp_matches(x, '^[A-Za-z0-9._:()%-]+$')
), bad_dps AS (
  SELECT doc_no, dp_idx AS a, 0 AS b, 'bad' AS k, NULL AS qid, label, NULL AS status, NULL AS stat, NULL AS unit, NULL AS ts_txt,
         NULL::JSON AS v, left(dp::VARCHAR, ${RAW_MAX}) AS raw, 'Data point has no statistic (Average, Sum, Minimum, Maximum, SampleCount or ExtendedStatistics).' AS reason
  FROM dps WHERE NOT EXISTS (SELECT 1 FROM gms WHERE gms.doc_no = dps.doc_no AND gms.a = dps.dp_idx)
), u AS (
  SELECT * FROM bad_docs UNION ALL SELECT * FROM gmd UNION ALL SELECT * FROM bad_res
  UNION ALL SELECT * FROM gms UNION ALL SELECT * FROM bad_dps
)
SELECT dense_rank() OVER (ORDER BY doc_no, a, b) AS line, *,
       TRY_CAST(ts_txt AS TIMESTAMPTZ) AS ts, TRY_CAST(v AS DOUBLE) AS value
FROM u`;
}

async function loadMetrics(ctx: LoadContext): Promise<LoadResult> {
  const { conn } = ctx;
  const result = emptyResult();
  const docs = await readDocs(ctx);
  result.blankLines = docs.blankLines;
  checkCancelled(ctx);
  const items = tempName(ctx, 'mitems');
  await dropTemp(conn, items);
  await conn.run(itemsSql(docs.table, items));
  checkCancelled(ctx);
  const p = { sid: ctx.sourceId, file: ctx.displayPath };

  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT $sid, $file, line, any_value(raw), string_agg(DISTINCT r, ' ')
     FROM (SELECT line, raw,
                  coalesce(reason, CASE WHEN ts IS NULL THEN 'Timestamp "' || coalesce(ts_txt, '') || '" is not an ISO 8601 time.'
                                        ELSE coalesce(stat, 'Value') || ' is not a number.' END) AS r
           FROM ${items} WHERE k = 'bad' OR reason IS NOT NULL OR ts IS NULL OR value IS NULL)
     GROUP BY line`,
    p,
  );

  // Series identity from the label, then from the file name when the file holds one series only.
  const fname = fileName(ctx);
  const f = '$fname';
  await conn.run(
    `INSERT INTO metric_points (source_id, line, namespace, metric, stat, unit, period_s, series_key, label,
                                vpn_id, tunnel_ip, tgw_id, attachment_id, dimensions, attributed, ts, value)
     WITH good AS (
       SELECT * FROM ${items} WHERE k <> 'bad' AND reason IS NULL AND ts IS NOT NULL AND value IS NOT NULL
     ), s AS (
       SELECT *,
              CASE WHEN k = 'gmd' THEN CASE WHEN coalesce(label, '') IN ('', qid) THEN qid ELSE qid || ':' || label END
                   ELSE coalesce(nullif(label, ''), 'series') || ':' || stat || '@' || ${f} END AS series_key,
              ${sqlFrom.metric('label')} AS l_metric,
              (SELECT count(DISTINCT coalesce(qid, label || stat)) FROM good) = 1 AS single
       FROM good
     ), a AS (
       SELECT *,
              coalesce(l_metric, ${sqlFrom.metric(f)}) AS metric_name,
              coalesce(${sqlFrom.vpnId('label')}, CASE WHEN single THEN ${sqlFrom.vpnId(f)} END) AS vpn_id,
              coalesce(${sqlFrom.ip('label')}, CASE WHEN single THEN ${sqlFrom.ip(f)} END) AS tunnel_ip,
              coalesce(${sqlFrom.tgw('label')}, CASE WHEN single THEN ${sqlFrom.tgw(f)} END) AS tgw_id,
              coalesce(${sqlFrom.attachment('label')}, CASE WHEN single THEN ${sqlFrom.attachment(f)} END) AS attachment_id
       FROM s
     )
     SELECT $sid, line, ${namespaceOf('metric_name')}, coalesce(metric_name, nullif(label, '')),
            coalesce(stat, ${sqlFrom.stat('label')}), coalesce(unit, ${unitOf('metric_name')}), NULL,
            series_key, label, vpn_id, tunnel_ip, tgw_id, attachment_id, NULL, false, ts, value
     FROM a
     -- The same point from another page file, or pasted twice, is written once (overlap).
     WHERE NOT EXISTS (SELECT 1 FROM metric_points p WHERE p.series_key = a.series_key AND p.ts = a.ts AND p.value = a.value)
     QUALIFY row_number() OVER (PARTITION BY series_key, ts, value ORDER BY line) = 1`,
    { sid: ctx.sourceId, fname },
  );
  checkCancelled(ctx);

  // Period from the spacing of this file's points (a series' smallest positive step).
  await conn.run(
    `UPDATE metric_points AS m SET period_s = g.period
     FROM (SELECT series_key, min(d)::INTEGER AS period
           FROM (SELECT series_key, epoch(ts) - epoch(lag(ts) OVER (PARTITION BY series_key ORDER BY ts)) AS d
                 FROM metric_points WHERE source_id = $sid)
           WHERE d > 0 GROUP BY series_key) g
     WHERE m.source_id = $sid AND m.series_key = g.series_key`,
    { sid: ctx.sourceId },
  );
  for (const a of ctx.options.attribute ?? []) {
    await attributeSeries(conn, a.series, a.vpnId, a.tunnelIp, ctx.sourceId);
  }
  await reconcile(conn);

  const counts = await conn.one<{ items: number; good: number; records: number; tmin: string | null; tmax: string | null }>(
    `SELECT (SELECT count(DISTINCT line) FROM ${items})::INTEGER AS items,
            (SELECT count(*) FROM ${items} WHERE k <> 'bad' AND reason IS NULL AND ts IS NOT NULL AND value IS NOT NULL)::INTEGER AS good,
            (SELECT count(*) FROM metric_points WHERE source_id = $sid)::INTEGER AS records,
            (SELECT min(ts) FROM metric_points WHERE source_id = $sid) AS tmin,
            (SELECT max(ts) FROM metric_points WHERE source_id = $sid) AS tmax`,
    { sid: ctx.sourceId },
  );
  // Non-complete results and service messages; PartialData on a page with NextToken only means
  // more pages exist, which is worth saying once.
  const notes = await conn.all<{ note: string; bad: boolean }>(
    `SELECT 'StatusCode ' || status || ' for ' || string_agg(DISTINCT coalesce(qid, '?'), ', ' ORDER BY coalesce(qid, '?'))
              || coalesce(': ' || nullif(string_agg(DISTINCT msg, '; '), ''), '')
              || CASE WHEN status = 'PartialData' THEN ' (more pages exist: import every page)' ELSE '' END AS note,
            status IN ('Forbidden', 'InternalError') AS bad
     FROM (SELECT json_extract_string(r, '$.StatusCode') AS status, json_extract_string(r, '$.Id') AS qid,
                  nullif(array_to_string(json_extract_string(r, '$.Messages[*].Value'), '; '), '') AS msg
           FROM (SELECT unnest(json_extract(doc, '$.MetricDataResults[*]')) AS r FROM ${docs.table}
                 WHERE json_type(doc, '$.MetricDataResults') = 'ARRAY'))
     WHERE coalesce(status, 'Complete') <> 'Complete'
     GROUP BY status
     UNION ALL
     SELECT DISTINCT 'CloudWatch: ' || coalesce(json_extract_string(m, '$.Code'), '') || ' ' || coalesce(json_extract_string(m, '$.Value'), ''), false
     FROM (SELECT unnest(json_extract(doc, '$.Messages[*]')) AS m FROM ${docs.table} WHERE json_type(doc, '$.Messages') = 'ARRAY')
     ORDER BY 1`,
  );
  await dropTemp(conn, items, docs.table);

  result.linesRead = counts!.items + (await readerQuarantines(ctx));
  result.records = counts!.records;
  result.overlapRecords = counts!.good - counts!.records;
  result.quarantined = await quarantineCount(conn, ctx.sourceId);
  result.timeMin = counts!.tmin;
  result.timeMax = counts!.tmax;
  if (notes.length) {
    result.message = notes.map((n) => n.note.trim()).join(' | ').slice(0, 2000);
    if (notes.some((n) => n.bad)) result.status = 'partial';
  }
  ctx.progress(0, result.records);
  return result;
}

export const metricsHandler: FormatHandler = {
  name: 'cloudwatch-metrics',
  detect: detectMetrics,
  load: loadMetrics,
};

// ---- the --metric-data-queries file -----------------------------------------------------------

function detectQueries(sample: Sample): Detection | null {
  const h = sample.head.trimStart();
  if (h.startsWith('[') && /"Id"\s*:/.test(h) && /"(MetricStat|Expression)"\s*:/.test(h)) {
    return { kind: 'config', format: 'metric-queries', confidence: 0.9 };
  }
  if (h.startsWith('{') && /"MetricDataQueries"\s*:/.test(h)) return { kind: 'config', format: 'metric-queries', confidence: 0.9 };
  return null;
}

async function loadQueries(ctx: LoadContext): Promise<LoadResult> {
  const { conn } = ctx;
  const result = emptyResult();
  const docs = await readDocs(ctx);
  result.blankLines = docs.blankLines;
  const items = tempName(ctx, 'qitems');
  await dropTemp(conn, items);
  await conn.run(
    `CREATE TEMP TABLE ${items} AS
     WITH d AS (
       SELECT doc_no, doc,
              CASE WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, '$[*]')
                   WHEN json_type(doc, '$.MetricDataQueries') = 'ARRAY' THEN json_extract(doc, '$.MetricDataQueries[*]') END AS l
       FROM ${docs.table}
     )
     SELECT row_number() OVER (ORDER BY doc_no, i) AS line, q, json_extract_string(q, '$.Id') AS qid
     FROM (SELECT doc_no, unnest(l) AS q, generate_subscripts(l, 1) AS i FROM d WHERE l IS NOT NULL
           UNION ALL SELECT doc_no, doc, 0 FROM d WHERE l IS NULL)`,
  );
  const p = { sid: ctx.sourceId, file: ctx.displayPath };
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT $sid, $file, line, left(q::VARCHAR, ${RAW_MAX}),
            CASE WHEN json_type(q) = 'OBJECT' AND NOT json_exists(q, '$.Id') THEN 'A metric data query needs an Id.'
                 ELSE 'Expected a list of metric data queries ({"Id", "MetricStat": {...}} objects).' END
     FROM ${items} WHERE json_type(q) <> 'OBJECT' OR qid IS NULL OR NOT (json_exists(q, '$.MetricStat') OR json_exists(q, '$.Expression'))`,
    p,
  );
  await conn.run(
    `INSERT INTO config_objects (source_id, kind, object_id, data)
     SELECT $sid, 'metric_query', qid, json(q) FROM ${items}
     WHERE json_type(q) = 'OBJECT' AND qid IS NOT NULL AND (json_exists(q, '$.MetricStat') OR json_exists(q, '$.Expression'))`,
    { sid: ctx.sourceId },
  );
  await reconcile(conn);
  const n = await conn.one<{ items: number; records: number }>(
    `SELECT (SELECT count(*) FROM ${items})::INTEGER AS items,
            (SELECT count(*) FROM config_objects WHERE source_id = $sid)::INTEGER AS records`,
    { sid: ctx.sourceId },
  );
  await dropTemp(conn, items, docs.table);
  result.linesRead = n!.items + (await readerQuarantines(ctx));
  result.records = n!.records;
  result.quarantined = await quarantineCount(conn, ctx.sourceId);
  ctx.progress(0, result.records);
  return result;
}

export const metricQueriesHandler: FormatHandler = {
  name: 'cloudwatch-metric-queries',
  detect: detectQueries,
  load: loadQueries,
};
