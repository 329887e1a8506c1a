/**
 * The nouns of Tunnelscope, shared by engine, main, preload and renderer. Pure types only.
 * Times crossing the contract are ISO 8601 UTC strings (`Iso`), except chart series, which use
 * epoch milliseconds for speed.
 */
export type Iso = string;
export type EpochMs = number;

export type SourceKind = 'vpc_flows' | 'tgw_flows' | 'metrics' | 'vpn_tunnel_log' | 'vpn_bgp_log' | 'config' | 'unknown';

export interface SourceInfo {
  sourceId: number;
  path: string;
  kind: SourceKind;
  format: string | null;
  fields: string | null;
  bytes: number;
  linesRead: number;
  records: number;
  headerLines: number;
  overlapRecords: number;
  quarantined: number;
  timeMin: Iso | null;
  timeMax: Iso | null;
  status: 'complete' | 'partial';
  message: string | null;
}

export interface TunnelInfo {
  vpnId: string;
  tunnelIp: string;
  tunnelIndex: number | null;
  insideCidr: string | null;
  attachmentId: string | null;
  transitGatewayId: string | null;
  vpnGatewayId: string | null;
  status: string | null;
  origin: 'config' | 'metrics' | 'logs';
}

export interface RecordCounts {
  vpc_flows: number;
  tgw_flows: number;
  metric_points: number;
  vpn_events: number;
  bgp_events: number;
  config_objects: number;
  quarantined: number;
}

export interface CaseSummary {
  path: string;
  name: string;
  formatVersion: number;
  readOnly: boolean;
  /** Changes not yet saved into the file (set by the workspace from the open CaseSession). */
  dirty?: boolean;
  sources: SourceInfo[];
  counts: RecordCounts;
  timeMin: Iso | null;
  timeMax: Iso | null;
  tunnels: TunnelInfo[];
  unattributedSeries: string[];
  analyzedAt: Iso | null;
}

// ---- ingest ----------------------------------------------------------------------------------

export interface IngestOptions {
  /** Flow-log format string for headerless records, e.g. '${version} ${account-id} …'. */
  format?: string;
  /** Attribute unattributed metric series: series key → { vpnId, tunnelIp }. */
  attribute?: { series: string; vpnId: string; tunnelIp: string }[];
}

export interface IngestProgress {
  jobId: string;
  file: string;
  fileIndex: number;
  fileCount: number;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  quarantined: number;
  etaSeconds: number | null;
  phase: 'scanning' | 'reading' | 'writing' | 'analyzing' | 'done';
}

export interface IngestFileResult {
  path: string;
  kind: SourceKind;
  outcome: 'imported' | 'duplicate' | 'failed' | 'cancelled';
  records: number;
  quarantined: number;
  message?: string;
}

export interface IngestSummary {
  jobId: string;
  cancelled: boolean;
  files: IngestFileResult[];
  byKind: Partial<Record<SourceKind, { files: number; records: number; quarantined: number; duplicates: number; timeMin: Iso | null; timeMax: Iso | null }>>;
  records: number;
  quarantined: number;
  duplicates: number;
  timeMin: Iso | null;
  timeMax: Iso | null;
}

export interface QuarantineRow {
  sourceId: number;
  file: string;
  line: number | null;
  raw: string | null;
  reason: string;
}

// ---- analysis ------------------------------------------------------------------------------

export type Severity = 'info' | 'warning' | 'critical';
export type FindingKind =
  | 'asymmetric-return'
  | 'ecmp-active'
  | 'half-open'
  | 'syn-no-synack'
  | 'tunnel-down'
  | 'reject-burst'
  | 'tgw-drop'
  | 'log-gap'
  | 'route-change';

export interface FindingSubject {
  vpn_id?: string;
  tunnel_ip?: string;
  attachment_id?: string;
  interface_id?: string;
  src_cidr?: string;
  dst_addr?: string;
  dst_port?: number;
  protocol?: number;
}

export interface EvidenceRow {
  table: string;
  sourceId: number | null;
  file: string | null;
  line: number | null;
  values: Record<string, unknown>;
}

export interface Finding {
  id: string;
  kind: FindingKind;
  severity: Severity;
  title: string;
  summary: string;
  start: Iso;
  end: Iso;
  subject: FindingSubject;
  stats: Record<string, number | string | null>;
  evidence: { sql: string; rows: EvidenceRow[] };
  review?: FindingReview;
}

export interface FindingReview {
  status: 'open' | 'confirmed' | 'dismissed';
  note: string;
}

export type HandshakeState = 'completed' | 'half-open' | 'syn-no-synack' | 'rejected' | 'reset' | 'established' | 'no-tcp' | 'unknown';

export interface FlowFilter {
  from?: Iso;
  to?: Iso;
  cidr?: string;
  port?: number;
  protocol?: number;
  action?: 'ACCEPT' | 'REJECT';
  state?: HandshakeState;
  /** vpn tunnel outside IP or TGW attachment id */
  path?: string;
  capturePoint?: string;
}

// ---- timeline ------------------------------------------------------------------------------

/** One value held over [t0, t1): sources are drawn at their own granularity as bands. */
export interface Band {
  t0: EpochMs;
  t1: EpochMs;
  v: number;
}

export interface Series {
  key: string;
  label: string;
  unit: 'bytes' | 'packets' | 'count' | 'state';
  granularitySeconds: number;
  bands: Band[];
}

export interface TimelineEvent {
  ts: EpochMs;
  kind: string;          // dpd-timeout, ike-up, ike-down, bgp-up, bgp-down, route-advertised, route-withdrawn, as-path-change, …
  vpnId: string | null;
  tunnelIp: string | null;
  label: string;
  details: string;
  ref: { table: 'vpn_events' | 'bgp_events'; sourceId: number; line: number };
}

export interface TimelineQuery {
  from?: Iso;
  to?: Iso;
  /** Desired number of buckets across the range; the engine picks a bucket size at or above the data's granularity. */
  maxBuckets?: number;
  filter?: FlowFilter;
}

export interface TimelineResult {
  from: EpochMs;
  to: EpochMs;
  bucketSeconds: number;
  tunnels: { vpnId: string; tunnelIp: string; label: string; bytesIn: Series; bytesOut: Series; state: Series }[];
  flowBytes: Series[];
  rejects: Series;
  halfOpen: Series;
  synNoSynAck: Series;
  tgwLost: Series;
  events: TimelineEvent[];
  findings: { id: string; kind: FindingKind; severity: Severity; start: EpochMs; end: EpochMs; title: string }[];
}

/** State of everything at one instant, for the replay's tiles and counters. */
export interface Snapshot {
  at: EpochMs;
  tunnels: { vpnId: string; tunnelIp: string; state: 'up' | 'down' | 'unknown'; bytesIn: number; bytesOut: number }[];
  counters: { bytes: number; rejects: number; halfOpen: number; synNoSynAck: number; conversations: number };
  activeFindings: string[];
}

// ---- conversations and records ---------------------------------------------------------------

export interface ConversationRow {
  id: string;
  protocol: number;
  client: string;
  clientPort: number | null;
  server: string;
  serverPort: number | null;
  state: HandshakeState;
  firstSeen: Iso;
  lastSeen: Iso;
  bytesFwd: number;
  bytesRev: number;
  packetsFwd: number;
  packetsRev: number;
  flagsFwd: number | null;
  flagsRev: number | null;
  action: 'ACCEPT' | 'REJECT' | 'MIXED' | null;
  capturePoints: string[];
  paths: string[];
}

export interface ConversationQuery {
  filter?: FlowFilter;
  sort?: { column: keyof ConversationRow; dir: 'asc' | 'desc' };
  offset?: number;
  limit?: number;
}

export interface ConversationPage {
  total: number;
  offset: number;
  rows: ConversationRow[];
}

export interface RecordRef {
  table: 'vpc_flows' | 'tgw_flows' | 'vpn_events' | 'bgp_events' | 'metric_points';
  sourceId: number;
  line: number;
}

export interface RawRecord extends RecordRef {
  file: string;
  /** The line as it was in the file (reconstructed from the stored fields when the file is gone). */
  text: string;
  fields: Record<string, unknown>;
  /** Direction relative to the conversation, and where it was captured. */
  direction?: 'forward' | 'reverse';
  capturePoint?: string;
}

export interface ConversationDetail {
  conversation: ConversationRow;
  records: RawRecord[];
}

// ---- SQL console ---------------------------------------------------------------------------

export interface SqlResult {
  columns: string[];
  types: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}

export interface SavedQuery {
  id: string;
  name: string;
  sql: string;
  builtIn: boolean;
}

// ---- case state ----------------------------------------------------------------------------

export type AnnotationTarget =
  | { type: 'range'; from: Iso; to: Iso }
  | { type: 'tunnel'; vpnId: string; tunnelIp: string }
  | { type: 'finding'; findingId: string }
  | { type: 'conversation'; conversationId: string }
  | { type: 'record'; table: RecordRef['table']; sourceId: number; line: number };

export interface Annotation {
  id: string;
  kind: 'note' | 'bookmark';
  at: Iso;
  target: AnnotationTarget;
  text: string;
  tags: string[];
  createdAt: Iso;
}

export interface ViewState {
  from: Iso | null;
  to: Iso | null;
  filter: FlowFilter;
  replayAt: Iso | null;
  replaySpeed: number;
  selectedFindingId: string | null;
  timeZone: 'utc' | 'local';
}

// ---- routes --------------------------------------------------------------------------------

export interface RouteCandidate {
  source: 'local' | 'static' | 'propagated' | 'bgp' | 'vpn-static' | 'direct-connect';
  table: string;
  destination: string;
  target: string;
  vpnId?: string;
  tunnelIp?: string;
  asPath?: string;
  asPathLength?: number;
  med?: number;
  state: string;
  chosen: boolean;
  reason: string;
}

export interface RouteExplanation {
  prefix: string;
  at: Iso | null;
  candidates: RouteCandidate[];
  steps: string[];
  ecmp: { applies: boolean; reason: string };
}
