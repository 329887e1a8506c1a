/**
 * The field descriptors of VPC and Transit Gateway flow logs: one table per kind, AWS name →
 * column and DuckDB type. Parsing SQL, Parquet mapping and header recognition all read these.
 */
import { AppError } from '../../shared/result.ts';

export type FlowKind = 'vpc_flows' | 'tgw_flows';
export type FieldType = 'INTEGER' | 'BIGINT' | 'VARCHAR';

export interface FieldDef {
  /** AWS spelling, e.g. 'log-status'. */
  name: string;
  column: string;
  type: FieldType;
}

const I = 'INTEGER' as const;
const B = 'BIGINT' as const;
const V = 'VARCHAR' as const;

function defs(list: [string, FieldType][]): FieldDef[] {
  return list.map(([name, type]) => ({ name, type, column: name === 'start' ? 'start_time' : name === 'end' ? 'end_time' : name.replaceAll('-', '_') }));
}

export const VPC_FIELDS: FieldDef[] = defs([
  ['version', I], ['account-id', V], ['interface-id', V], ['srcaddr', V], ['dstaddr', V],
  ['srcport', I], ['dstport', I], ['protocol', I], ['packets', B], ['bytes', B],
  ['start', B], ['end', B], ['action', V], ['log-status', V],
  ['vpc-id', V], ['subnet-id', V], ['instance-id', V], ['tcp-flags', I], ['type', V],
  ['pkt-srcaddr', V], ['pkt-dstaddr', V], ['region', V], ['az-id', V], ['sublocation-type', V],
  ['sublocation-id', V], ['pkt-src-aws-service', V], ['pkt-dst-aws-service', V], ['flow-direction', V],
  ['traffic-path', I], ['ecs-cluster-arn', V], ['ecs-cluster-name', V], ['ecs-container-instance-arn', V],
  ['ecs-container-instance-id', V], ['ecs-container-id', V], ['ecs-second-container-id', V],
  ['ecs-service-name', V], ['ecs-task-definition-arn', V], ['ecs-task-arn', V], ['ecs-task-id', V],
  ['reject-reason', V], ['resource-id', V], ['encryption-status', I],
]);

export const TGW_FIELDS: FieldDef[] = defs([
  ['version', I], ['resource-type', V], ['account-id', V], ['tgw-id', V], ['tgw-attachment-id', V],
  ['tgw-src-vpc-account-id', V], ['tgw-dst-vpc-account-id', V], ['tgw-src-vpc-id', V], ['tgw-dst-vpc-id', V],
  ['tgw-src-subnet-id', V], ['tgw-dst-subnet-id', V], ['tgw-src-eni', V], ['tgw-dst-eni', V],
  ['tgw-src-az-id', V], ['tgw-dst-az-id', V], ['tgw-pair-attachment-id', V],
  ['srcaddr', V], ['dstaddr', V], ['srcport', I], ['dstport', I], ['protocol', I],
  ['packets', B], ['bytes', B], ['start', B], ['end', B], ['log-status', V], ['type', V],
  ['packets-lost-no-route', B], ['packets-lost-blackhole', B], ['packets-lost-mtu-exceeded', B],
  ['packets-lost-ttl-expired', B], ['tcp-flags', I], ['region', V], ['flow-direction', V],
  ['pkt-src-aws-service', V], ['pkt-dst-aws-service', V],
]);

export const DEFAULT_VPC_LAYOUT = VPC_FIELDS.slice(0, 14).map((f) => f.name);
export const DEFAULT_TGW_LAYOUT = TGW_FIELDS.map((f) => f.name);

/**
 * Record identity for overlap detection: the same flow record delivered twice (S3 and a
 * CloudWatch export of one flow log) agrees on all of these.
 */
export const OVERLAP_KEY: Record<FlowKind, string[]> = {
  vpc_flows: ['interface_id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start_time', 'end_time', 'action', 'log_status'],
  tgw_flows: ['tgw_attachment_id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start_time', 'end_time', 'log_status'],
};

export function fieldsOf(kind: FlowKind): FieldDef[] {
  return kind === 'vpc_flows' ? VPC_FIELDS : TGW_FIELDS;
}

const byName = new Map<string, FieldDef>();
for (const f of [...VPC_FIELDS, ...TGW_FIELDS]) byName.set(f.name, f);

/** AWS spelling of a field name written as `${x}`, x, with underscores, or as our column name. */
export function normaliseName(raw: string): string {
  let n = raw.trim();
  if (n.startsWith('${') && n.endsWith('}')) n = n.slice(2, -1);
  n = n.toLowerCase().replaceAll('_', '-');
  if (n === 'start-time') return 'start';
  if (n === 'end-time') return 'end';
  return n;
}

export function isKnownField(name: string): boolean {
  return byName.has(name);
}

/** A layout belongs to TGW flow logs when it names any TGW-only field. */
export function kindOfLayout(names: string[]): FlowKind {
  return names.some((n) => n.startsWith('tgw-') || n === 'resource-type' || n.startsWith('packets-lost-')) ? 'tgw_flows' : 'vpc_flows';
}

const WORD = /^[a-z][a-z0-9-]*$/;

/**
 * Reads a header line or a user format string ('${version} ${vpc-id} …', 'version vpc-id …',
 * 'version,vpc_id'). Returns null when it does not look like a field list: every token must be a
 * plain lowercase name and at least half of them names we know (unknown ones are kept as extras).
 */
export function parseFieldList(text: string): string[] | null {
  const tokens = text.trim().split(/[\s,]+/).filter(Boolean).map(normaliseName);
  if (tokens.length === 0) return null;
  if (!tokens.every((t) => WORD.test(t))) return null;
  const known = tokens.filter(isKnownField).length;
  if (known === 0 || known * 2 < tokens.length) return null;
  return tokens;
}

/** A --format value given by the user; an unusable one is a usage error, not a guess. */
export function parseUserFormat(format: string): string[] {
  const names = parseFieldList(format);
  if (!names) {
    throw new AppError(
      'bad-argument',
      `The format '${format.slice(0, 80)}' is not a flow-log field list; give it like '\${version} \${account-id} \${interface-id} …'.`,
    );
  }
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new AppError('bad-argument', `The format names the field '${dup}' twice.`);
  return names;
}
