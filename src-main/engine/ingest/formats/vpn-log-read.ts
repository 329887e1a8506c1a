/**
 * Site-to-Site VPN logs (tunnel activity and tunnel BGP) from every CloudWatch Logs container:
 * filter-log-events / get-log-events output, subscription payloads, export-task text lines
 * (ISO timestamp + message), `aws logs tail` lines, JSON arrays of events, and bare log records
 * (JSON lines or blank-line separated objects, as the AWS doc prints them).
 * Both record kinds are read by one loader, so a file that mixes them loses nothing: tunnel records
 * go to vpn_events, BGP records to bgp_events, anything else to quarantine with a reason.
 */
import type { LoadContext, LoadResult, Sample } from '../types.ts';
import { IPV4_RE, RAW_MAX, VPN_ID_RE, checkCancelled, dropTemp, emptyResult, fileName, isPrefixedLine, quarantineCount, readDocs, readerQuarantines, tempName } from './json-docs.ts';
import { reconcile } from './reconcile.ts';

/** Content markers, matched in raw or JSON-escaped form (messages inside CloudWatch events are strings). */
const TUNNEL_MARK = /\\?"(ike_phase1_state|ike_phase2_state|dpd_enabled|nat_t_detected)\\?"\s*:/g;
const BGP_MARK = /\\?"type\\?"\s*:\s*\\?"(BGPStatus|RouteStatus)\\?"/g;

export function countMarks(sample: Sample): { tunnel: number; bgp: number } {
  return { tunnel: sample.head.match(TUNNEL_MARK)?.length ?? 0, bgp: sample.head.match(BGP_MARK)?.length ?? 0 };
}

/** Container name for sources.format. */
export function containerOf(sample: Sample): string {
  const h = sample.head.trimStart();
  if (isPrefixedLine(sample.firstLine)) return 'cwl-export';
  if (/"logEvents"\s*:/.test(h) && /"messageType"\s*:/.test(h)) return 'cwl-subscription';
  if (/"events"\s*:/.test(h)) return /"logStreamName"\s*:/.test(h) ? 'filter-log-events' : 'get-log-events';
  if (h.startsWith('[')) return 'json-array';
  return sample.firstLine.startsWith('{') && sample.firstLine.endsWith('}') ? 'json-lines' : 'json';
}

const ts = (e: string) => `TRY_CAST(${e} AS DOUBLE)`;
/** Epoch seconds, milliseconds or microseconds, told apart by magnitude. */
const epoch = (n: string) =>
  `CASE WHEN ${n} IS NULL OR ${n} < -1e11 OR ${n} >= 1e17 THEN NULL WHEN ${n} >= 1e14 THEN to_timestamp(${n} / 1e6) WHEN ${n} >= 1e11 THEN to_timestamp(${n} / 1e3) ELSE to_timestamp(${n}) END`;
/** A readable time such as "2025-11-08 05:40:29.641Z"; a missing zone means UTC. */
const readable = (t: string) =>
  String.raw`TRY_CAST(${t} || CASE WHEN regexp_matches(${t}, '(Z|[+-]\d\d:?\d\d)$') THEN '' ELSE 'Z' END AS TIMESTAMPTZ)`;

/**
 * Items are numbered in file order; when every line of a JSON-lines or export file holds one
 * record, the number is the file's line number, so quarantined lines and records agree.
 */
function itemsSql(docs: string, items: string, lineMode: boolean): string {
  return `
CREATE TEMP TABLE ${items} AS
WITH d AS (
  SELECT doc_no, pre_ts, pre_stream, json_extract_string(doc, '$.logStream') AS doc_stream,
         CASE WHEN json_type(doc, '$.events') = 'ARRAY' THEN json_extract(doc, '$.events[*]')
              WHEN json_type(doc, '$.logEvents') = 'ARRAY' THEN json_extract(doc, '$.logEvents[*]')
              WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, '$[*]')
              ELSE [doc] END AS l
  FROM ${docs}
), e AS (
  SELECT doc_no, i, pre_ts, coalesce(json_extract_string(item, '$.logStreamName'), doc_stream, pre_stream) AS stream, item,
         coalesce(json_type(item, '$.message') = 'VARCHAR' AND NOT json_exists(item, '$.event_timestamp'), false) AS wrapped
  FROM (SELECT *, unnest(l) AS item, generate_subscripts(l, 1) AS i FROM d)
), r AS (
  SELECT CASE WHEN ${lineMode} AND (SELECT max(len(l)) FROM d) <= 1 THEN doc_no ELSE row_number() OVER (ORDER BY doc_no, i) END AS line,
         stream, item, wrapped,
         CASE WHEN wrapped THEN json_extract_string(item, '$.message') END AS msg,
         CASE WHEN wrapped THEN ${epoch(ts("json_extract_string(item, '$.timestamp')"))}
              ELSE TRY_CAST(pre_ts AS TIMESTAMPTZ) END AS cwl_ts
  FROM e
), rec AS (
  SELECT *, CASE WHEN NOT wrapped THEN item WHEN json_valid(msg) THEN TRY_CAST(msg AS JSON) END AS rec FROM r
)
SELECT line, stream, cwl_ts, rec, left(item::VARCHAR, ${RAW_MAX}) AS raw,
       CASE WHEN rec IS NULL OR json_type(rec) <> 'OBJECT' THEN NULL
            WHEN json_extract_string(rec, '$.type') IN ('BGPStatus', 'RouteStatus') THEN 'bgp'
            WHEN json_exists(rec, '$.ike_phase1_state') OR json_exists(rec, '$.ike_phase2_state')
              OR json_exists(rec, '$.dpd_enabled') OR json_exists(rec, '$.nat_t_detected')
              OR (json_exists(rec, '$.details') AND json_exists(rec, '$.event_timestamp')) THEN 'tunnel' END AS k
FROM rec`;
}

/** Time, VPN id and tunnel IP of every item, from the record, then the stream name, then the file name. */
function enrichSql(items: string, enriched: string): string {
  const rid = "json_extract_string(rec, '$.resource_id')";
  const recVpn = "coalesce(json_extract_string(rec, '$.VpnConnectionId'), json_extract_string(rec, '$.vpn_connection_id'), json_extract_string(rec, '$.vpn_id'))";
  const recIp = `coalesce(json_extract_string(rec, '$.TunnelOutsideIPAddress'), json_extract_string(rec, '$.TunnelOutsideIpAddress'),
                          json_extract_string(rec, '$.tunnel_outside_ip_address'), json_extract_string(rec, '$.tunnel_ip'))`;
  const vpn = (e: string) => `nullif(regexp_extract(${e}, '${VPN_ID_RE}', 1), '')`;
  const ip = (e: string) => `nullif(regexp_extract(${e}, '${IPV4_RE}', 1), '')`;
  const et = "json_extract_string(rec, '$.event_timestamp')";
  return `
CREATE TEMP TABLE ${enriched} AS
SELECT *,
       coalesce(${epoch(ts(et))}, TRY_CAST(${et} AS TIMESTAMPTZ), ${readable("json_extract_string(rec, '$.timestamp')")}, cwl_ts) AS t,
       coalesce(${vpn(rid)}, ${vpn(recVpn)}, ${vpn('stream')}, ${vpn('$fname')}) AS vpn_id,
       coalesce(${ip(rid)}, ${ip(recIp)}, ${ip('stream')}, ${ip('$fname')}) AS tunnel_ip
FROM ${items}`;
}

/** Tunnel events: the details catalogue first, then phase-state transitions against the previous event of the tunnel. */
function tunnelInsertSql(enriched: string): string {
  const ld = "lower(coalesce(json_extract_string(rec, '$.details'), ''))";
  return `
INSERT INTO vpn_events (source_id, line, ts, vpn_id, tunnel_ip, log_stream, details, event,
                        ike_phase1_state, ike_phase2_state, dpd_enabled, nat_t_detected, raw)
WITH x AS (
  SELECT *, ${ld} AS ld,
         lower(json_extract_string(rec, '$.ike_phase1_state')) AS p1, lower(json_extract_string(rec, '$.ike_phase2_state')) AS p2
  FROM ${enriched} WHERE k = 'tunnel' AND t IS NOT NULL
), w AS (
  SELECT *, lag(p1) OVER tl AS prev_p1, lag(p2) OVER tl AS prev_p2, row_number() OVER tl > 1 AS has_prev
  FROM x WINDOW tl AS (PARTITION BY coalesce(vpn_id, ''), coalesce(tunnel_ip, ''), coalesce(stream, '') ORDER BY t, line)
)
SELECT $sid, line, t, vpn_id, tunnel_ip, stream, json_extract_string(rec, '$.details'),
  CASE
    WHEN ld LIKE '%dpd timed out%' OR ld LIKE '%declaring peer dead%' OR ld LIKE '%peer is not responsive%' THEN 'dpd-timeout'
    WHEN ld LIKE '%pre-shared key%' OR ld LIKE '%authentication_failed%' OR ld LIKE '%authentication failed%' THEN 'psk-mismatch'
    WHEN ld LIKE '%no proposal%' OR ld LIKE '%no_proposal_chosen%' OR ld LIKE '%ts_unacceptable%' THEN 'proposal-mismatch'
    WHEN ld LIKE '%rekey%' OR ld LIKE '%collision%' THEN 'rekey'
    WHEN ld LIKE '%received delete%' THEN 'delete-received'
    WHEN ld LIKE '%phase 2 was unable to establish%' OR ld LIKE '%phase 2 is down%' THEN 'phase2-down'
    WHEN ld LIKE '%un-established phase 1%' OR ld LIKE '%phase 1 is down%' OR ld LIKE '%ike_sa%down%' THEN 'ike-down'
    WHEN ld LIKE '%create_child_sa%' AND (p1 = 'rekeying' OR p2 = 'rekeying') THEN 'rekey'
    -- Both phases up again after anything else: the tunnel came back, whatever the message says.
    WHEN has_prev AND p1 = 'established' AND p2 = 'established'
      AND (coalesce(prev_p1, '') NOT IN ('established', 'rekeying') OR coalesce(prev_p2, '') NOT IN ('established', 'rekeying')) THEN 'ike-established'
    WHEN ld LIKE '%established%' AND ld NOT LIKE '%un-established%' AND ld NOT LIKE '%unable to establish%' THEN 'ike-established'
    WHEN ld LIKE '%create_child_sa%' OR ld LIKE '%processed request%' OR ld LIKE '%processed response%'
      OR ld LIKE '%sending request%' OR ld LIKE '%sending response%' OR ld LIKE '%negotiat%' OR ld LIKE '%initiat%' THEN 'negotiation'
    WHEN has_prev AND p1 = 'down' AND prev_p1 IS DISTINCT FROM 'down' THEN 'ike-down'
    WHEN has_prev AND p1 = 'established' AND p2 = 'down' AND prev_p2 IS DISTINCT FROM 'down' THEN 'phase2-down'
    WHEN p1 = 'rekeying' OR p2 = 'rekeying' THEN 'rekey'
    WHEN p1 = 'negotiating' OR p2 = 'negotiating' THEN 'negotiation'
    ELSE 'other' END,
  p1, p2, TRY_CAST(json_extract_string(rec, '$.dpd_enabled') AS BOOLEAN), TRY_CAST(json_extract_string(rec, '$.nat_t_detected') AS BOOLEAN), json(rec)
FROM w
-- The same record from another export or page, or pasted twice, is written once (overlap).
WHERE NOT EXISTS (SELECT 1 FROM vpn_events e WHERE e.ts = w.t AND e.raw::VARCHAR = json(w.rec)::VARCHAR
                  AND e.vpn_id IS NOT DISTINCT FROM w.vpn_id AND e.tunnel_ip IS NOT DISTINCT FROM w.tunnel_ip)
QUALIFY row_number() OVER (PARTITION BY t, vpn_id, tunnel_ip, json(rec)::VARCHAR ORDER BY line) = 1`;
}

/** BGP events; message is an object (or, tolerated, a JSON string or plain text). */
function bgpInsertSql(enriched: string): string {
  const asPath = `CASE WHEN json_type(m, '$.asPath') = 'ARRAY' THEN array_to_string(json_extract_string(m, '$.asPath[*]'), ' ')
                       ELSE json_extract_string(m, '$.asPath') END`;
  // AS_SETs count as one hop, confederation segments as none (RFC 4271 path length).
  const len = String.raw`CASE WHEN as_path IS NULL THEN NULL WHEN trim(as_path) = '' THEN 0
       ELSE len(list_filter(string_split_regex(trim(regexp_replace(regexp_replace(as_path, '\([^)]*\)', ' ', 'g'), '\{[^}]*\}', ' S ', 'g')), '\s+'), s -> s <> '')) END`;
  return `
INSERT INTO bgp_events (source_id, line, ts, vpn_id, tunnel_ip, resource_id, type, status, details,
                        prefix, as_path, as_path_len, med, local_pref, next_hop_ip, weight, raw)
WITH x AS (
  SELECT *,
         CASE WHEN json_type(rec, '$.message') = 'OBJECT' THEN json_extract(rec, '$.message')
              WHEN json_type(rec, '$.message') = 'VARCHAR' AND json_valid(json_extract_string(rec, '$.message'))
                   AND json_type(TRY_CAST(json_extract_string(rec, '$.message') AS JSON)) = 'OBJECT' THEN TRY_CAST(json_extract_string(rec, '$.message') AS JSON) END AS m,
         CASE WHEN json_type(rec, '$.message') = 'VARCHAR' THEN json_extract_string(rec, '$.message') END AS msg_text
  FROM ${enriched} WHERE k = 'bgp' AND t IS NOT NULL
), y AS (SELECT *, ${asPath} AS as_path FROM x)
SELECT $sid, line, t, vpn_id, tunnel_ip, json_extract_string(rec, '$.resource_id'),
       json_extract_string(rec, '$.type'), upper(json_extract_string(rec, '$.status')),
       coalesce(json_extract_string(m, '$.details'), CASE WHEN m IS NULL THEN msg_text END),
       json_extract_string(m, '$.prefix'), as_path, ${len},
       TRY_CAST(json_extract_string(m, '$.med') AS BIGINT), TRY_CAST(json_extract_string(m, '$.localPref') AS BIGINT),
       json_extract_string(m, '$.nextHopIp'), TRY_CAST(json_extract_string(m, '$.weight') AS BIGINT), json(rec)
FROM y
-- The same record from another export or page, or pasted twice, is written once (overlap).
WHERE NOT EXISTS (SELECT 1 FROM bgp_events e WHERE e.ts = y.t AND e.raw::VARCHAR = json(y.rec)::VARCHAR
                  AND e.vpn_id IS NOT DISTINCT FROM y.vpn_id AND e.tunnel_ip IS NOT DISTINCT FROM y.tunnel_ip)
QUALIFY row_number() OVER (PARTITION BY t, vpn_id, tunnel_ip, json(rec)::VARCHAR ORDER BY line) = 1`;
}

export async function loadVpnLogs(ctx: LoadContext): Promise<LoadResult> {
  const { conn } = ctx;
  const result = emptyResult();
  const docs = await readDocs(ctx);
  result.blankLines = docs.blankLines;
  checkCancelled(ctx);
  const items = tempName(ctx, 'litems');
  const enriched = tempName(ctx, 'lenriched');
  await dropTemp(conn, items, enriched);
  await conn.run(itemsSql(docs.table, items, docs.lineMode));
  await conn.run(enrichSql(items, enriched), { fname: fileName(ctx) });
  checkCancelled(ctx);
  const sid = { sid: ctx.sourceId };
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT $sid, $file, line, raw,
            CASE WHEN rec IS NULL THEN 'The log message is not JSON (only the JSON output format of Site-to-Site VPN logs is read).'
                 WHEN k IS NULL THEN 'Not a Site-to-Site VPN tunnel or BGP log record.'
                 ELSE 'The record has no usable time (event_timestamp, timestamp or CloudWatch event time).' END
     FROM ${enriched} WHERE k IS NULL OR t IS NULL`,
    { ...sid, file: ctx.displayPath },
  );
  await conn.run(tunnelInsertSql(enriched), sid);
  await conn.run(bgpInsertSql(enriched), sid);
  checkCancelled(ctx);
  await reconcile(conn);
  const c = await conn.one<{ items: number; good: number; records: number; tmin: string | null; tmax: string | null; noTunnel: number }>(
    `SELECT (SELECT count(*) FROM ${items})::INTEGER AS items,
            (SELECT count(*) FROM ${enriched} WHERE k IS NOT NULL AND t IS NOT NULL)::INTEGER AS good,
            ((SELECT count(*) FROM vpn_events WHERE source_id = $sid) + (SELECT count(*) FROM bgp_events WHERE source_id = $sid))::INTEGER AS records,
            least((SELECT min(ts) FROM vpn_events WHERE source_id = $sid), (SELECT min(ts) FROM bgp_events WHERE source_id = $sid)) AS tmin,
            greatest((SELECT max(ts) FROM vpn_events WHERE source_id = $sid), (SELECT max(ts) FROM bgp_events WHERE source_id = $sid)) AS tmax,
            ((SELECT count(*) FROM vpn_events WHERE source_id = $sid AND (vpn_id IS NULL OR tunnel_ip IS NULL))
             + (SELECT count(*) FROM bgp_events WHERE source_id = $sid AND (vpn_id IS NULL OR tunnel_ip IS NULL)))::INTEGER AS "noTunnel"`,
    sid,
  );
  await dropTemp(conn, items, enriched, docs.table);
  result.linesRead = c!.items + (await readerQuarantines(ctx));
  result.records = c!.records;
  result.overlapRecords = c!.good - c!.records;
  result.quarantined = await quarantineCount(conn, ctx.sourceId);
  result.timeMin = c!.tmin;
  result.timeMax = c!.tmax;
  if (c!.noTunnel > 0) {
    result.message = `${c!.noTunnel} event(s) name no VPN connection and tunnel IP (no resource_id, and neither the log stream nor the file name holds them).`;
  }
  ctx.progress(0, result.records);
  return result;
}
