import type { Conn } from '../../db/index.ts';
import type { FindingKind, FindingSubject, Severity } from '../../../shared/domain.ts';

/** What a detector returns; ids, ISO times and evidence rows are filled in by findings.ts. */
export interface Draft {
  kind: FindingKind;
  severity: Severity;
  title: string;
  summary: string;
  /** Unix seconds. */
  start: number;
  end: number;
  subject: FindingSubject;
  stats: Record<string, number | string | null>;
  evidence: {
    /** Raw-record table the evidence query returns rows of (it must return source_id and line). */
    table: 'vpc_flows' | 'tgw_flows' | 'metric_points' | 'vpn_events' | 'bgp_events';
    sql: string;
  };
}

export interface TunnelRef {
  vpnId: string;
  tunnelIp: string;
  label: string;
  attachmentId: string | null;
}

export interface DetectorContext {
  conn: Conn;
  /** Data span of flow records (Unix seconds), null when there are no flow records. */
  span: { from: number; to: number } | null;
  tunnels: TunnelRef[];
  /** tgw-attach-… → vpn-… for VPN attachments. */
  vpnOfAttachment: Map<string, string>;
  /** Temp tables holding subsets of conversations, by predicate (see detectors/common.ts subset()). */
  subsets: Map<string, string>;
}

export type Detector = (ctx: DetectorContext) => Promise<Draft[]>;
