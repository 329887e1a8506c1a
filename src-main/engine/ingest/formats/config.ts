/**
 * Configuration snapshots from the AWS CLI: describe-vpn-connections, describe-flow-logs, describe-transit-gateway-
 * attachments, describe-transit-gateways, search-transit-gateway-routes, get-transit-gateway-route-
 * table-propagations, describe-route-tables (one or several pages per file).
 *
 * Secrets: every "PreSharedKey" member and the "CustomerGatewayConfiguration" XML are cut out of the
 * text as DuckDB reads it (json-docs.ts redactSql), before any table or quarantine row sees it.
 *
 * Wrong shapes: a list key holding something else is quarantined with "<Key> should be a list …",
 * except VpnConnections holding a single connection object (the AWS CLI documentation example):
 * that one is read as a list of one, and sources.message says so.
 *
 * TGW route outputs do not name their route table; the id is taken from the file name
 * (tgw-rtb-…) when it holds one.
 */
import type { Detection, FormatHandler, LoadContext, LoadResult, Sample } from '../types.ts';
import { RAW_MAX, checkCancelled, dropSecretMembersSql, dropTemp, emptyResult, fileName, quarantineCount, readDocs, readerQuarantines, tempName } from './json-docs.ts';
import { reconcile } from './reconcile.ts';

/** Top-level list key → config_objects.kind, id member, sources.format. */
const SHAPES: { key: string; kind: string; id: string; format: string; what: string }[] = [
  // describe-flow-logs: each flow log's LogFormat is the layout of its headerless CloudWatch records.
  { key: 'FlowLogs', kind: 'flow_log', id: "json_extract_string(obj, '$.FlowLogId')", format: 'describe-flow-logs', what: 'flow logs' },
  { key: 'VpnConnections', kind: 'vpn_connection', id: "json_extract_string(obj, '$.VpnConnectionId')", format: 'describe-vpn-connections', what: 'VPN connections' },
  { key: 'RouteTables', kind: 'route_table', id: "json_extract_string(obj, '$.RouteTableId')", format: 'describe-route-tables', what: 'route tables' },
  { key: 'TransitGatewayRouteTablePropagations', kind: 'tgw_propagation', id: "json_extract_string(obj, '$.TransitGatewayAttachmentId')", format: 'get-transit-gateway-route-table-propagations', what: 'propagations' },
  { key: 'TransitGateways', kind: 'transit_gateway', id: "json_extract_string(obj, '$.TransitGatewayId')", format: 'describe-transit-gateways', what: 'transit gateways' },
  { key: 'TransitGatewayAttachments', kind: 'tgw_attachment', id: "json_extract_string(obj, '$.TransitGatewayAttachmentId')", format: 'describe-transit-gateway-attachments', what: 'attachments' },
  { key: 'Routes', kind: 'tgw_route', id: "coalesce(json_extract_string(obj, '$.DestinationCidrBlock'), json_extract_string(obj, '$.PrefixListId'))", format: 'search-transit-gateway-routes', what: 'routes' },
];

const ID_NAMES: Record<string, string> = {
  vpn_connection: 'VpnConnectionId',
  route_table: 'RouteTableId',
  tgw_propagation: 'TransitGatewayAttachmentId',
  transit_gateway: 'TransitGatewayId',
  tgw_attachment: 'TransitGatewayAttachmentId',
  tgw_route: 'DestinationCidrBlock or PrefixListId',
  flow_log: 'FlowLogId',
};

export function detectConfig(sample: Sample): Detection | null {
  const h = sample.head.trimStart();
  if (!h.startsWith('{')) return null;
  const has = (k: string) => new RegExp(`"${k}"\\s*:`).test(h);
  const first = /^\{\s*"([A-Za-z]+)"\s*:/.exec(h)?.[1];
  for (const s of SHAPES) {
    // "Routes" and "TransitGatewayAttachments" also occur nested in other outputs, so they are
    // checked last and need more than the key alone.
    const ok =
      s.key === 'Routes'
        ? first === 'Routes' || has('AdditionalRoutesAvailable')
        : s.key === 'TransitGatewayAttachments'
          ? has(s.key) && !has('Routes')
          : has(s.key);
    if (ok) return { kind: 'config', format: s.format, confidence: 0.9 };
  }
  return null;
}

function itemsSql(docs: string, items: string): string {
  const keyCase = SHAPES.map((s) => `WHEN json_exists(doc, '$.${s.key}') THEN '${s.key}'`).join(' ');
  const kindCase = SHAPES.map((s) => `WHEN '${s.key}' THEN '${s.kind}'`).join(' ');
  const idCase = SHAPES.map((s) => `WHEN '${s.kind}' THEN ${s.id}`).join(' ');
  const whatCase = SHAPES.map((s) => `WHEN '${s.key}' THEN '${s.what}'`).join(' ');
  const idNameCase = Object.entries(ID_NAMES).map(([k, v]) => `WHEN '${k}' THEN '${v}'`).join(' ');
  return `
CREATE TEMP TABLE ${items} AS
WITH d AS (
  SELECT doc_no, doc, CASE WHEN json_type(doc) = 'OBJECT' THEN CASE ${keyCase} END END AS key FROM ${docs}
), l AS (
  SELECT *, json_type(doc, '$.' || key) AS jt FROM d
), x AS (
  SELECT doc_no, i, CASE key ${kindCase} END AS kind, obj, jt = 'OBJECT' AND key = 'VpnConnections' AS tolerated, NULL AS reason
  FROM (SELECT *, unnest(lst) AS obj, generate_subscripts(lst, 1) AS i
        FROM (SELECT *, CASE WHEN jt = 'ARRAY' THEN CAST(json_extract(doc, '$.' || key) AS JSON[]) ELSE [json_extract(doc, '$.' || key)] END AS lst
              FROM l WHERE jt = 'ARRAY' OR (jt = 'OBJECT' AND key = 'VpnConnections')))
  UNION ALL
  SELECT doc_no, 0, NULL, doc, false,
         CASE WHEN key IS NULL THEN 'Not an AWS CLI configuration snapshot this tool reads (describe-vpn-connections, describe-flow-logs, describe-transit-gateway-attachments, describe-transit-gateways, search-transit-gateway-routes, get-transit-gateway-route-table-propagations, describe-route-tables).'
              ELSE key || ' should be a list of ' || CASE key ${whatCase} END || ', but it is ' || CASE jt WHEN 'OBJECT' THEN 'an object' WHEN 'VARCHAR' THEN 'a string' WHEN 'BOOLEAN' THEN 'a boolean' WHEN 'NULL' THEN 'null' ELSE 'a number' END || '.' END
  FROM l WHERE key IS NULL OR NOT (jt = 'ARRAY' OR (jt = 'OBJECT' AND key = 'VpnConnections'))
)
SELECT row_number() OVER (ORDER BY doc_no, i) AS line, kind, obj, tolerated,
       coalesce(reason, CASE WHEN json_type(obj) <> 'OBJECT' THEN 'Each entry should be an object.'
                             WHEN (CASE kind ${idCase} END) IS NULL THEN 'Entry has no ' || (CASE kind ${idNameCase} END) || '.' END) AS reason,
       CASE WHEN json_type(obj) = 'OBJECT' THEN CASE kind ${idCase} END END AS object_id
FROM x`;
}

const str = (o: string, path: string) => `json_extract_string(${o}, '$.${path}')`;

function vpnTunnelsSql(items: string): string {
  const list = (path: string) => `coalesce(json_extract(obj, '$.${path}[*]'), [])`;
  return `
INSERT INTO vpn_tunnels (vpn_id, tunnel_ip, tunnel_index, inside_cidr, inside_ipv6_cidr, transit_gateway_id, vpn_gateway_id,
                         customer_gateway_id, static_routes_only, status, status_message, last_status_change, accepted_route_count, origin)
WITH c AS (SELECT line, object_id AS vpn_id, obj FROM ${items} WHERE kind = 'vpn_connection' AND reason IS NULL),
topt AS (SELECT line, json_extract_string(t, '$.OutsideIpAddress') AS ip, i AS idx, t
         FROM (SELECT line, unnest(l) AS t, generate_subscripts(l, 1) AS i FROM (SELECT line, ${list('Options.TunnelOptions')} AS l FROM c))),
tele AS (SELECT line, json_extract_string(g, '$.OutsideIpAddress') AS ip, i AS idx, g
         FROM (SELECT line, unnest(l) AS g, generate_subscripts(l, 1) AS i FROM (SELECT line, ${list('VgwTelemetry')} AS l FROM c))),
j AS (SELECT coalesce(topt.line, tele.line) AS line, coalesce(topt.ip, tele.ip) AS ip, coalesce(topt.idx, tele.idx) AS idx, t, g
      FROM topt FULL JOIN tele ON topt.line = tele.line AND topt.ip = tele.ip)
SELECT c.vpn_id, j.ip, j.idx, ${str('t', 'TunnelInsideCidr')}, ${str('t', 'TunnelInsideIpv6Cidr')},
       ${str('c.obj', 'TransitGatewayId')}, ${str('c.obj', 'VpnGatewayId')}, ${str('c.obj', 'CustomerGatewayId')},
       TRY_CAST(${str('c.obj', 'Options.StaticRoutesOnly')} AS BOOLEAN), ${str('g', 'Status')}, ${str('g', 'StatusMessage')},
       TRY_CAST(${str('g', 'LastStatusChange')} AS TIMESTAMPTZ), TRY_CAST(${str('g', 'AcceptedRouteCount')} AS INTEGER), 'config'
FROM j JOIN c ON c.line = j.line
WHERE j.ip IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY c.vpn_id, j.ip ORDER BY j.line DESC) = 1
ON CONFLICT (vpn_id, tunnel_ip) DO UPDATE SET
  tunnel_index = EXCLUDED.tunnel_index, inside_cidr = EXCLUDED.inside_cidr, inside_ipv6_cidr = EXCLUDED.inside_ipv6_cidr,
  transit_gateway_id = EXCLUDED.transit_gateway_id, vpn_gateway_id = EXCLUDED.vpn_gateway_id,
  customer_gateway_id = EXCLUDED.customer_gateway_id, static_routes_only = EXCLUDED.static_routes_only,
  status = EXCLUDED.status, status_message = EXCLUDED.status_message, last_status_change = EXCLUDED.last_status_change,
  accepted_route_count = EXCLUDED.accepted_route_count, origin = 'config'`;
}

function attachmentsSql(items: string): string[] {
  const full = `
INSERT INTO tgw_attachments (attachment_id, transit_gateway_id, resource_type, resource_id, state, route_table_id)
SELECT object_id, ${str('obj', 'TransitGatewayId')}, ${str('obj', 'ResourceType')}, ${str('obj', 'ResourceId')},
       ${str('obj', 'State')}, ${str('obj', 'Association.TransitGatewayRouteTableId')}
FROM ${items} WHERE kind = 'tgw_attachment' AND reason IS NULL
QUALIFY row_number() OVER (PARTITION BY object_id ORDER BY line DESC) = 1
ON CONFLICT (attachment_id) DO UPDATE SET
  transit_gateway_id = coalesce(EXCLUDED.transit_gateway_id, tgw_attachments.transit_gateway_id),
  resource_type = coalesce(EXCLUDED.resource_type, tgw_attachments.resource_type),
  resource_id = coalesce(EXCLUDED.resource_id, tgw_attachments.resource_id),
  state = EXCLUDED.state, route_table_id = coalesce(EXCLUDED.route_table_id, tgw_attachments.route_table_id)`;
  // Routes and propagations name attachments with their resource; enough to map tgw-attach → vpn
  // when no attachments snapshot was given.
  const partial = `
INSERT INTO tgw_attachments (attachment_id, resource_type, resource_id)
SELECT aid, any_value(rtype), any_value(rid) FROM (
  SELECT ${str('a', 'TransitGatewayAttachmentId')} AS aid, ${str('a', 'ResourceType')} AS rtype, ${str('a', 'ResourceId')} AS rid
  FROM (SELECT unnest(coalesce(json_extract(obj, '$.TransitGatewayAttachments[*]'), [])) AS a FROM ${items} WHERE kind = 'tgw_route' AND reason IS NULL)
  UNION ALL
  SELECT object_id, ${str('obj', 'ResourceType')}, ${str('obj', 'ResourceId')} FROM ${items} WHERE kind = 'tgw_propagation' AND reason IS NULL)
WHERE aid IS NOT NULL GROUP BY aid
ON CONFLICT (attachment_id) DO NOTHING`;
  return [full, partial];
}

function routesSql(items: string): string[] {
  const vpc = `
INSERT INTO routes (source_id, table_kind, table_id, destination, prefix_list_id, target_type, target_id, route_type, origin, state)
SELECT $sid, 'vpc', rtb, coalesce(${str('r', 'DestinationCidrBlock')}, ${str('r', 'DestinationIpv6CidrBlock')}), ${str('r', 'DestinationPrefixListId')},
  CASE WHEN gw = 'local' THEN 'local' WHEN gw LIKE 'vgw-%' THEN 'vgw' WHEN gw LIKE 'igw-%' THEN 'igw' WHEN gw LIKE 'vpce-%' THEN 'vpc-endpoint'
       WHEN gw IS NOT NULL THEN 'gateway'
       WHEN ${str('r', 'TransitGatewayId')} IS NOT NULL THEN 'transit-gateway'
       WHEN ${str('r', 'NatGatewayId')} IS NOT NULL THEN 'nat-gateway'
       WHEN ${str('r', 'VpcPeeringConnectionId')} IS NOT NULL THEN 'vpc-peering'
       WHEN ${str('r', 'InstanceId')} IS NOT NULL THEN 'instance'
       WHEN ${str('r', 'NetworkInterfaceId')} IS NOT NULL THEN 'network-interface'
       WHEN ${str('r', 'LocalGatewayId')} IS NOT NULL THEN 'local-gateway'
       WHEN ${str('r', 'CarrierGatewayId')} IS NOT NULL THEN 'carrier-gateway'
       WHEN ${str('r', 'CoreNetworkArn')} IS NOT NULL THEN 'core-network'
       WHEN ${str('r', 'EgressOnlyInternetGatewayId')} IS NOT NULL THEN 'egress-only-igw' END,
  coalesce(gw, ${str('r', 'TransitGatewayId')}, ${str('r', 'NatGatewayId')}, ${str('r', 'VpcPeeringConnectionId')}, ${str('r', 'InstanceId')},
           ${str('r', 'NetworkInterfaceId')}, ${str('r', 'LocalGatewayId')}, ${str('r', 'CarrierGatewayId')}, ${str('r', 'CoreNetworkArn')},
           ${str('r', 'EgressOnlyInternetGatewayId')}),
  CASE ${str('r', 'Origin')} WHEN 'CreateRouteTable' THEN 'local' WHEN 'CreateRoute' THEN 'static' WHEN 'EnableVgwRoutePropagation' THEN 'propagated'
       ELSE lower(${str('r', 'Origin')}) END,
  ${str('r', 'Origin')}, ${str('r', 'State')}
FROM (SELECT *, ${str('r', 'GatewayId')} AS gw FROM (
  SELECT object_id AS rtb, unnest(coalesce(json_extract(obj, '$.Routes[*]'), [])) AS r FROM ${items} WHERE kind = 'route_table' AND reason IS NULL))`;
  const tgw = `
INSERT INTO routes (source_id, table_kind, table_id, destination, prefix_list_id, target_type, target_id, route_type, origin, state)
SELECT $sid, 'tgw', coalesce(${str('obj', 'TransitGatewayRouteTableId')}, $rtb), ${str('obj', 'DestinationCidrBlock')}, ${str('obj', 'PrefixListId')},
       CASE WHEN a IS NOT NULL THEN 'attachment' END, ${str('a', 'TransitGatewayAttachmentId')},
       ${str('obj', 'Type')}, ${str('a', 'ResourceType')}, ${str('obj', 'State')}
FROM (SELECT obj, unnest(CASE WHEN len(l) = 0 THEN [NULL::JSON] ELSE l END) AS a
      FROM (SELECT obj, coalesce(json_extract(obj, '$.TransitGatewayAttachments[*]'), []) AS l FROM ${items} WHERE kind = 'tgw_route' AND reason IS NULL))`;
  const vpnStatic = `
INSERT INTO routes (source_id, table_kind, table_id, destination, prefix_list_id, target_type, target_id, route_type, origin, state)
SELECT $sid, 'vpn-static', vpn, ${str('r', 'DestinationCidrBlock')}, NULL, 'vpn-connection', vpn, 'static', ${str('r', 'Source')}, ${str('r', 'State')}
FROM (SELECT object_id AS vpn, unnest(coalesce(json_extract(obj, '$.Routes[*]'), [])) AS r FROM ${items} WHERE kind = 'vpn_connection' AND reason IS NULL)`;
  return [vpc, tgw, vpnStatic];
}

async function loadConfig(ctx: LoadContext): Promise<LoadResult> {
  const { conn } = ctx;
  const result = emptyResult();
  const docs = await readDocs(ctx, { redact: true });
  result.blankLines = docs.blankLines;
  checkCancelled(ctx);
  const items = tempName(ctx, 'citems');
  await dropTemp(conn, items);
  await conn.run(itemsSql(docs.table, items));
  const sid = { sid: ctx.sourceId };
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT $sid, $file, line, left(${dropSecretMembersSql('json(obj)')}::VARCHAR, ${RAW_MAX}), reason FROM ${items} WHERE reason IS NOT NULL`,
    { ...sid, file: ctx.displayPath },
  );
  const rtb = /(tgw-rtb-[0-9a-f]+)/i.exec(fileName(ctx))?.[1]?.toLowerCase() ?? null;
  await conn.run(
    `INSERT INTO config_objects (source_id, kind, object_id, data)
     SELECT $sid, kind, object_id,
            CASE WHEN kind IN ('tgw_route', 'tgw_propagation') AND $rtb IS NOT NULL AND NOT json_exists(obj, '$.TransitGatewayRouteTableId')
                 THEN json_merge_patch(obj, json_object('TransitGatewayRouteTableId', $rtb)) ELSE ${dropSecretMembersSql('json(obj)')} END
     FROM ${items} WHERE reason IS NULL ORDER BY line`,
    { ...sid, rtb },
  );
  checkCancelled(ctx);
  await conn.run(vpnTunnelsSql(items));
  for (const s of attachmentsSql(items)) await conn.run(s);
  const [vpc, tgw, vpnStatic] = routesSql(items);
  await conn.run(vpc!, sid);
  await conn.run(tgw!, { ...sid, rtb });
  await conn.run(vpnStatic!, sid);
  await reconcile(conn);

  const c = await conn.one<{ items: number; records: number; tolerated: number; truncated: number }>(
    `SELECT (SELECT count(*) FROM ${items})::INTEGER AS items,
            (SELECT count(*) FROM config_objects WHERE source_id = $sid)::INTEGER AS records,
            (SELECT count(*) FROM ${items} WHERE tolerated)::INTEGER AS tolerated,
            (SELECT count(*) FROM ${docs.table} WHERE doc_no = (SELECT max(doc_no) FROM ${docs.table})
                AND (json_extract_string(doc, '$.AdditionalRoutesAvailable') = 'true' OR json_extract_string(doc, '$.NextToken') IS NOT NULL))::INTEGER AS truncated`,
    sid,
  );
  await dropTemp(conn, items, docs.table);
  result.linesRead = c!.items + (await readerQuarantines(ctx));
  result.records = c!.records;
  result.quarantined = await quarantineCount(conn, ctx.sourceId);
  const notes: string[] = [];
  if (c!.tolerated) {
    notes.push('VpnConnections was a single object, not a list (as in the AWS CLI documentation example); it was read as a list of one connection.');
  }
  if (c!.truncated) {
    notes.push('The output says more results exist (NextToken or AdditionalRoutesAvailable); import the remaining pages for a complete picture.');
  }
  if (rtb === null && (await untiedTgwRoutes(ctx))) {
    notes.push('The TGW route table id is not in this output and the case knows no single TGW route table yet; name the file after the table (tgw-rtb-…) to tie the routes to it.');
  }
  result.message = notes.length ? notes.join(' ') : null;
  ctx.progress(0, result.records);
  return result;
}

async function untiedTgwRoutes(ctx: LoadContext): Promise<boolean> {
  const r = await ctx.conn.one<{ n: number }>(
    "SELECT count(*)::INTEGER AS n FROM routes WHERE source_id = $sid AND table_kind = 'tgw' AND table_id IS NULL",
    { sid: ctx.sourceId },
  );
  return (r?.n ?? 0) > 0;
}

export const configHandler: FormatHandler = {
  name: 'aws-config-snapshot',
  detect: detectConfig,
  load: loadConfig,
};
