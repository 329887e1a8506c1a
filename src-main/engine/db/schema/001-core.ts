/**
 * Format version 1: sources, typed record tables per source kind, quarantine, configuration.
 * Column names are the AWS field names with '-' turned into '_'. Times of flow records stay in
 * Unix seconds as AWS writes them (start_time/end_time); events and metric points carry TIMESTAMPTZ.
 * Every record row keeps (source_id, line) so the UI can show the raw line it came from.
 */
export const coreSchema = /* sql */ `
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE SEQUENCE source_ids START 1;
CREATE TABLE sources (
  source_id     INTEGER PRIMARY KEY DEFAULT nextval('source_ids'),
  path          VARCHAR NOT NULL,      -- absolute path, or s3://bucket/key
  kind          VARCHAR NOT NULL,      -- vpc_flows | tgw_flows | metrics | vpn_tunnel_log | vpn_bgp_log | config | unknown
  format        VARCHAR,               -- container + layout, e.g. 's3-text', 'cwl-export', 'cwl-json', 'parquet', 'get-metric-data'
  fields        VARCHAR,               -- the field list used for flow records (space separated)
  sha256        VARCHAR NOT NULL,
  bytes         BIGINT,
  etag          VARCHAR,               -- S3 imports: the object's ETag, for resume
  lines_read    BIGINT DEFAULT 0,      -- every line (or JSON item) read
  records       BIGINT DEFAULT 0,      -- rows written to the typed table
  header_lines  BIGINT DEFAULT 0,
  blank_lines   BIGINT DEFAULT 0,
  overlap_records BIGINT DEFAULT 0,    -- records already present from another source (not written twice)
  quarantined   BIGINT DEFAULT 0,
  time_min      TIMESTAMPTZ,
  time_max      TIMESTAMPTZ,
  status        VARCHAR NOT NULL DEFAULT 'complete',  -- complete | partial (truncated input)
  message       VARCHAR,
  imported_at   TIMESTAMPTZ DEFAULT now()
);

CREATE TABLE quarantine (
  source_id INTEGER NOT NULL,
  file      VARCHAR NOT NULL,
  line      BIGINT,                    -- 1-based line (or JSON item) number; NULL when the whole file failed
  raw       VARCHAR,                   -- the offending text, cut to 4 KB
  reason    VARCHAR NOT NULL
);

CREATE TABLE vpc_flows (
  source_id INTEGER NOT NULL, line BIGINT NOT NULL,
  version INTEGER, account_id VARCHAR, interface_id VARCHAR,
  srcaddr VARCHAR, dstaddr VARCHAR, srcport INTEGER, dstport INTEGER, protocol INTEGER,
  packets BIGINT, bytes BIGINT, start_time BIGINT, end_time BIGINT,
  action VARCHAR, log_status VARCHAR,
  vpc_id VARCHAR, subnet_id VARCHAR, instance_id VARCHAR, tcp_flags INTEGER, type VARCHAR,
  pkt_srcaddr VARCHAR, pkt_dstaddr VARCHAR,
  region VARCHAR, az_id VARCHAR, sublocation_type VARCHAR, sublocation_id VARCHAR,
  pkt_src_aws_service VARCHAR, pkt_dst_aws_service VARCHAR, flow_direction VARCHAR, traffic_path INTEGER,
  ecs_cluster_arn VARCHAR, ecs_cluster_name VARCHAR, ecs_container_instance_arn VARCHAR,
  ecs_container_instance_id VARCHAR, ecs_container_id VARCHAR, ecs_second_container_id VARCHAR,
  ecs_service_name VARCHAR, ecs_task_definition_arn VARCHAR, ecs_task_arn VARCHAR, ecs_task_id VARCHAR,
  reject_reason VARCHAR, resource_id VARCHAR, encryption_status INTEGER,
  extra MAP(VARCHAR, VARCHAR),         -- fields this version does not know (v11 tags, next-hop, …), kept as text
  log_stream VARCHAR,                  -- CloudWatch Logs stream (the ENI for VPC flow logs) when known
  event_ts TIMESTAMPTZ                 -- CloudWatch Logs event timestamp when the export carried one
);

CREATE TABLE tgw_flows (
  source_id INTEGER NOT NULL, line BIGINT NOT NULL,
  version INTEGER, resource_type VARCHAR, account_id VARCHAR, tgw_id VARCHAR, tgw_attachment_id VARCHAR,
  tgw_src_vpc_account_id VARCHAR, tgw_dst_vpc_account_id VARCHAR, tgw_src_vpc_id VARCHAR, tgw_dst_vpc_id VARCHAR,
  tgw_src_subnet_id VARCHAR, tgw_dst_subnet_id VARCHAR, tgw_src_eni VARCHAR, tgw_dst_eni VARCHAR,
  tgw_src_az_id VARCHAR, tgw_dst_az_id VARCHAR, tgw_pair_attachment_id VARCHAR,
  srcaddr VARCHAR, dstaddr VARCHAR, srcport INTEGER, dstport INTEGER, protocol INTEGER,
  packets BIGINT, bytes BIGINT, start_time BIGINT, end_time BIGINT, log_status VARCHAR, type VARCHAR,
  packets_lost_no_route BIGINT, packets_lost_blackhole BIGINT, packets_lost_mtu_exceeded BIGINT, packets_lost_ttl_expired BIGINT,
  tcp_flags INTEGER, region VARCHAR, flow_direction VARCHAR, pkt_src_aws_service VARCHAR, pkt_dst_aws_service VARCHAR,
  extra MAP(VARCHAR, VARCHAR),
  log_stream VARCHAR,
  event_ts TIMESTAMPTZ
);

-- One row per CloudWatch data point. AWS/VPN series are tied to (vpn_id, tunnel_ip) when the
-- label or query file names them; otherwise attributed = false and series_key says which series.
CREATE TABLE metric_points (
  source_id INTEGER NOT NULL, line BIGINT,
  namespace VARCHAR, metric VARCHAR, stat VARCHAR, unit VARCHAR, period_s INTEGER,
  series_key VARCHAR NOT NULL,         -- stable id of the series within the case (query id or label)
  label VARCHAR,
  vpn_id VARCHAR, tunnel_ip VARCHAR, tgw_id VARCHAR, attachment_id VARCHAR,
  dimensions MAP(VARCHAR, VARCHAR),
  attributed BOOLEAN NOT NULL DEFAULT false,
  ts TIMESTAMPTZ NOT NULL, value DOUBLE
);

-- Site-to-Site VPN tunnel activity log (IKE, DPD, phase states).
CREATE TABLE vpn_events (
  source_id INTEGER NOT NULL, line BIGINT NOT NULL,
  ts TIMESTAMPTZ NOT NULL,
  vpn_id VARCHAR, tunnel_ip VARCHAR, log_stream VARCHAR,
  details VARCHAR,
  event VARCHAR,                       -- classified: dpd-timeout, ike-established, ike-down, phase2-down, rekey, delete-received, psk-mismatch, proposal-mismatch, negotiation, other
  ike_phase1_state VARCHAR, ike_phase2_state VARCHAR,
  dpd_enabled BOOLEAN, nat_t_detected BOOLEAN,
  raw JSON
);

-- Site-to-Site VPN tunnel BGP log (BGPStatus, RouteStatus).
CREATE TABLE bgp_events (
  source_id INTEGER NOT NULL, line BIGINT NOT NULL,
  ts TIMESTAMPTZ NOT NULL,
  vpn_id VARCHAR, tunnel_ip VARCHAR, resource_id VARCHAR,
  type VARCHAR,                        -- BGPStatus | RouteStatus
  status VARCHAR,                      -- UP | DOWN | ADVERTISED | UPDATED | WITHDRAWN
  details VARCHAR,
  prefix VARCHAR, as_path VARCHAR, as_path_len INTEGER, med BIGINT, local_pref BIGINT, next_hop_ip VARCHAR, weight BIGINT,
  raw JSON
);

-- Configuration snapshots, one row per object, secrets removed before they reach this table.
CREATE TABLE config_objects (
  source_id INTEGER NOT NULL,
  kind VARCHAR NOT NULL,               -- vpn_connection | tgw_attachment | tgw_route | tgw_propagation | route_table | transit_gateway
  object_id VARCHAR,
  data JSON NOT NULL
);

-- Normalised from config snapshots (and, when no snapshot exists, from metrics and logs).
CREATE TABLE vpn_tunnels (
  vpn_id VARCHAR NOT NULL, tunnel_ip VARCHAR NOT NULL,  -- tunnel outside IP, AWS side
  tunnel_index INTEGER,                -- 1 or 2, in the order AWS lists them
  inside_cidr VARCHAR, inside_ipv6_cidr VARCHAR,
  transit_gateway_id VARCHAR, vpn_gateway_id VARCHAR, customer_gateway_id VARCHAR,
  attachment_id VARCHAR,               -- TGW attachment of the VPN (from describe-transit-gateway-attachments)
  static_routes_only BOOLEAN, status VARCHAR, status_message VARCHAR, last_status_change TIMESTAMPTZ,
  accepted_route_count INTEGER,
  origin VARCHAR,                      -- config | metrics | logs
  PRIMARY KEY (vpn_id, tunnel_ip)
);

CREATE TABLE tgw_attachments (
  attachment_id VARCHAR PRIMARY KEY, transit_gateway_id VARCHAR, resource_type VARCHAR, resource_id VARCHAR,
  state VARCHAR, route_table_id VARCHAR
);

CREATE TABLE routes (
  source_id INTEGER NOT NULL,
  table_kind VARCHAR NOT NULL,         -- vpc | tgw | vpn-static
  table_id VARCHAR, destination VARCHAR, prefix_list_id VARCHAR,
  target_type VARCHAR, target_id VARCHAR,  -- e.g. gateway vgw-…, attachment tgw-attach-…
  route_type VARCHAR,                  -- local | static | propagated
  origin VARCHAR, state VARCHAR
);
`;
