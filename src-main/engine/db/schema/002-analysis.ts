/**
 * Format version 2: what analysis derives from the records. Every table here is rebuilt by
 * runAnalysis (drop-and-fill inside one transaction), so nothing in it is ever edited by hand.
 * Times are Unix seconds (BIGINT) like the flow tables; buckets are 60 s aligned.
 */
export const analysisSchema = /* sql */ `
-- One row per conversation: the same 5-tuple in both directions, across every capture point,
-- split where the tuple goes quiet for longer than the pairing gap (see analysis/README.md).
CREATE TABLE conversations (
  conv_id      VARCHAR NOT NULL,       -- md5 of protocol, both endpoints and first start: stable across runs
  protocol     INTEGER,
  lo_addr VARCHAR, lo_port INTEGER, hi_addr VARCHAR, hi_port INTEGER,  -- canonical key (lo < hi)
  seq          INTEGER,                -- nth conversation on this key
  client VARCHAR, client_port INTEGER, server VARCHAR, server_port INTEGER,
  client_is_lo BOOLEAN,
  state        VARCHAR,                -- completed | half-open | syn-no-synack | rejected | reset | established | no-tcp | unknown
  first_seen   BIGINT, last_seen BIGINT,
  bytes_fwd BIGINT, bytes_rev BIGINT, packets_fwd BIGINT, packets_rev BIGINT,
  flags_fwd INTEGER, flags_rev INTEGER,
  records_fwd BIGINT, records_rev BIGINT,
  rejects_fwd BIGINT, rejects_rev BIGINT,
  action       VARCHAR,                -- ACCEPT | REJECT | MIXED | NULL (TGW only: no action field)
  capture_fwd VARCHAR[], capture_rev VARCHAR[],   -- ENIs and TGW attachments that logged each direction
  attach_fwd VARCHAR[], attach_rev VARCHAR[],     -- TGW attachments each direction crossed
  vpn_fwd VARCHAR[], vpn_rev VARCHAR[],           -- VPN connections behind those attachments
  enter_fwd VARCHAR[], enter_rev VARCHAR[],       -- TGW attachments where each direction entered the TGW (flow-direction ingress)
  tunnel_fwd VARCHAR, tunnel_rev VARCHAR,         -- tunnel outside IP, inferred from per-tunnel metrics when only one tunnel carried that way
  client_v4 UINTEGER, server_v4 UINTEGER          -- client/server as numbers (NULL for IPv6): CIDR filters compare integers
);
-- Rows are written in first_seen order (time-range filters skip row groups by their min/max).

-- Flow bytes/packets per 60 s bucket (by record start), per capture point, attachment, direction, action.
CREATE TABLE rollup_flows (
  bucket BIGINT, tbl VARCHAR, capture_point VARCHAR, attachment VARCHAR, pair_attachment VARCHAR,
  direction VARCHAR, action VARCHAR,
  bytes BIGINT, packets BIGINT, records BIGINT,
  lost_no_route BIGINT, lost_blackhole BIGINT, lost_mtu BIGINT, lost_ttl BIGINT
);

-- Conversations per 60 s bucket of their first record, by handshake state.
CREATE TABLE rollup_conversations (
  bucket BIGINT, state VARCHAR, protocol INTEGER, server_port INTEGER, action VARCHAR,
  conversations BIGINT, bytes BIGINT
);

-- NODATA / SKIPDATA records per 60 s bucket and capture point.
CREATE TABLE rollup_log_status (
  bucket BIGINT, tbl VARCHAR, capture_point VARCHAR, log_status VARCHAR, records BIGINT, window_end BIGINT
);

CREATE TABLE findings (
  finding_id VARCHAR PRIMARY KEY,      -- md5 of kind, subject and start: same data, same id
  kind VARCHAR NOT NULL, severity VARCHAR NOT NULL,
  title VARCHAR NOT NULL, summary VARCHAR NOT NULL,
  start_ts TIMESTAMPTZ NOT NULL, end_ts TIMESTAMPTZ NOT NULL,
  subject JSON, stats JSON,
  evidence_sql VARCHAR, evidence_rows JSON
);
`;
