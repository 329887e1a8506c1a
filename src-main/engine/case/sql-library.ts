/**
 * Built-in queries for VPN / Transit Gateway incidents, offered in the SQL console next to the
 * case's saved queries. They read only the case's tables and run through the same read-only console.
 */
import type { SavedQuery } from '../../shared/domain.ts';

const q = (id: string, name: string, sql: string): SavedQuery => ({ id: `builtin:${id}`, name, sql: sql.trim(), builtIn: true });

export const topTalkersPerAttachment = q(
  'top-talkers',
  'Top talkers per TGW attachment (and the VPN behind it)',
  `
SELECT f.tgw_attachment_id AS attachment, a.resource_id AS vpn_or_vpc, f.srcaddr, f.dstaddr,
       sum(f.bytes) AS bytes, sum(f.packets) AS packets, count(*) AS records
FROM tgw_flows f
LEFT JOIN tgw_attachments a ON a.attachment_id = f.tgw_attachment_id
GROUP BY 1, 2, 3, 4
QUALIFY row_number() OVER (PARTITION BY f.tgw_attachment_id ORDER BY sum(f.bytes) DESC) <= 10
ORDER BY 1, 5 DESC`,
);

export const topTalkersPerInterface = q(
  'top-talkers-eni',
  'Top talkers per network interface (VPC flow logs)',
  `
SELECT interface_id, srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets,
       count(*) FILTER (WHERE action = 'REJECT') AS rejected_records
FROM vpc_flows
GROUP BY 1, 2, 3
QUALIFY row_number() OVER (PARTITION BY interface_id ORDER BY sum(bytes) DESC) <= 10
ORDER BY 1, 4 DESC`,
);

export const rejectedPorts = q(
  'rejected-ports',
  'Rejected destination ports',
  `
SELECT dstport, protocol, count(*) AS records, sum(packets) AS packets,
       count(DISTINCT srcaddr) AS sources, count(DISTINCT dstaddr) AS destinations,
       to_timestamp(min(start_time)) AS first_seen, to_timestamp(max(end_time)) AS last_seen
FROM vpc_flows
WHERE action = 'REJECT'
GROUP BY ALL
ORDER BY records DESC
LIMIT 200`,
);

export const handshakeFailuresByPrefix = q(
  'handshake-failures',
  'TCP handshake failures by server /24',
  `
SELECT regexp_replace(server, '\\.\\d+$', '.0/24') AS server_prefix, server_port, state,
       count(*) AS conversations, count(DISTINCT client) AS clients,
       to_timestamp(min(first_seen)) AS first_seen, to_timestamp(max(last_seen)) AS last_seen
FROM conversations
WHERE protocol = 6 AND state IN ('syn-no-synack', 'half-open', 'rejected', 'reset')
GROUP BY ALL
ORDER BY conversations DESC
LIMIT 200`,
);

export const tunnelData = q(
  'tunnel-data',
  'TunnelDataIn / TunnelDataOut per tunnel (CloudWatch)',
  `
SELECT vpn_id, tunnel_ip, ts,
       max(value) FILTER (WHERE metric = 'TunnelDataIn') AS bytes_in,
       max(value) FILTER (WHERE metric = 'TunnelDataOut') AS bytes_out,
       max(value) FILTER (WHERE metric = 'TunnelState') AS state
FROM metric_points
WHERE namespace = 'AWS/VPN' AND metric IN ('TunnelDataIn', 'TunnelDataOut', 'TunnelState')
GROUP BY ALL
ORDER BY vpn_id, tunnel_ip, ts`,
);

export const bgpRouteChanges = q(
  'bgp-route-changes',
  'BGP route changes (advertised, updated, withdrawn)',
  `
SELECT ts, vpn_id, tunnel_ip, status, prefix, as_path, as_path_len, med, next_hop_ip, details
FROM bgp_events
WHERE type = 'RouteStatus'
ORDER BY ts, vpn_id, tunnel_ip`,
);

export const tunnelEvents = q(
  'tunnel-events',
  'Tunnel and BGP session events in time order',
  `
SELECT ts, vpn_id, tunnel_ip, 'tunnel' AS log, event AS what, details FROM vpn_events WHERE event <> 'other'
UNION ALL
SELECT ts, vpn_id, tunnel_ip, 'bgp', status, details FROM bgp_events WHERE type = 'BGPStatus'
ORDER BY ts`,
);

export const tgwDrops = q(
  'tgw-drops',
  'Transit Gateway drops per attachment (no route, blackhole, MTU, TTL)',
  `
SELECT tgw_attachment_id AS attachment, sum(packets_lost_no_route) AS no_route, sum(packets_lost_blackhole) AS blackhole,
       sum(packets_lost_mtu_exceeded) AS mtu_exceeded, sum(packets_lost_ttl_expired) AS ttl_expired
FROM tgw_flows
GROUP BY ALL
HAVING no_route + blackhole + mtu_exceeded + ttl_expired > 0
ORDER BY no_route + blackhole + mtu_exceeded + ttl_expired DESC`,
);

export const quarantineSummary = q(
  'quarantine',
  'Quarantine summary: lines that could not be read, by file and reason',
  `
SELECT s.path AS file, q.reason, count(*) AS lines, min(q.line) AS first_line, any_value(q.raw) AS example
FROM quarantine q
LEFT JOIN sources s USING (source_id)
GROUP BY ALL
ORDER BY lines DESC`,
);

export const builtInQueries: SavedQuery[] = [
  topTalkersPerAttachment,
  topTalkersPerInterface,
  rejectedPorts,
  handshakeFailuresByPrefix,
  tunnelData,
  bgpRouteChanges,
  tunnelEvents,
  tgwDrops,
  quarantineSummary,
];
