/**
 * The simulated estate: one VPC behind a Transit Gateway, one BGP Site-to-Site VPN with two tunnels
 * to an on-prem site. Ids look like real AWS ids (17 hex digits) and stay fixed across seeds so that
 * tests and detectors can name them.
 */
export const ACCOUNT = '318927465021';
export const REGION = 'us-east-1';
export const VPC_ID = 'vpc-0b3e7a91c4d25f608';
export const VPC_CIDR = '10.10.0.0/16';
export const ONPREM_CIDR = '172.16.0.0/16';
export const TGW_ID = 'tgw-0e5d4c3b2a1f09876';
export const TGW_ASN = 64512;
export const TGW_RTB = 'tgw-rtb-0123abcd4567ef890';
export const VPC_ATTACH = 'tgw-attach-0a1b2c3d4e5f6a7b8';
export const VPN_ATTACH = 'tgw-attach-0f9e8d7c6b5a4f3e2';
export const VPN_ID = 'vpn-0c2d4e6f8a0b1c3d5';
export const CGW_ID = 'cgw-0a9b8c7d6e5f4a3b2';
export const CGW_IP = '198.51.100.24';
export const CGW_ASN = 65010;
export const VPC_RTB = 'rtb-0f6e5d4c3b2a19087';

export interface Tunnel {
  index: 1 | 2;
  outsideIp: string;
  insideCidr: string;
  awsInsideIp: string;
  cgwInsideIp: string;
  psk: string;
}

export const TUNNELS: readonly Tunnel[] = [
  { index: 1, outsideIp: '34.206.11.22', insideCidr: '169.254.21.40/30', awsInsideIp: '169.254.21.41', cgwInsideIp: '169.254.21.42', psk: 'tsGEN.k8Wq2vZr1_pLs9Hd' },
  { index: 2, outsideIp: '52.44.201.17', insideCidr: '169.254.118.196/30', awsInsideIp: '169.254.118.197', cgwInsideIp: '169.254.118.198', psk: 'tsGEN.Xc4Nf7Tb0_qYe2Jm' },
];

export type SubnetName = 'app-a' | 'app-b' | 'tgw-a' | 'tgw-b';
export interface Subnet {
  name: SubnetName;
  id: string;
  cidr: string;
  az: string;
  ipv6?: string;
}
export const SUBNETS: Record<SubnetName, Subnet> = {
  'app-a': { name: 'app-a', id: 'subnet-0a11c2e3f4a5b6c70', cidr: '10.10.1.0/24', az: 'use1-az1', ipv6: '2600:1f18:2c4:a601::/64' },
  'app-b': { name: 'app-b', id: 'subnet-0b22d3f4a5b6c7d81', cidr: '10.10.2.0/24', az: 'use1-az2', ipv6: '2600:1f18:2c4:a602::/64' },
  'tgw-a': { name: 'tgw-a', id: 'subnet-0c33e4a5b6c7d8e92', cidr: '10.10.255.0/28', az: 'use1-az1' },
  'tgw-b': { name: 'tgw-b', id: 'subnet-0d44f5b6c7d8e9fa3', cidr: '10.10.255.16/28', az: 'use1-az2' },
};

export interface Eni {
  name: string;
  id: string;
  ip: string;
  ipv6?: string;
  subnet: SubnetName;
  /** '-' for requester-managed ENIs (TGW attachment ENIs). */
  instanceId: string;
  tgw: boolean;
}

export const ENIS: readonly Eni[] = [
  { name: 'web-1', id: 'eni-0a7f3c91e2b4d5068', ip: '10.10.1.21', ipv6: '2600:1f18:2c4:a601::21', subnet: 'app-a', instanceId: 'i-0c41a7e9b3d2f5061', tgw: false },
  { name: 'db-1', id: 'eni-0b8e4d02f3c5e6179', ip: '10.10.1.50', subnet: 'app-a', instanceId: 'i-0d52b8fac4e3a6172', tgw: false },
  { name: 'bastion', id: 'eni-0c9f5e13a4d6f728a', ip: '10.10.1.10', subnet: 'app-a', instanceId: 'i-0e63c90bd5f4b7283', tgw: false },
  { name: 'web-2', id: 'eni-0d1a6f24b5e7a839b', ip: '10.10.2.22', ipv6: '2600:1f18:2c4:a602::22', subnet: 'app-b', instanceId: 'i-0f74da1ce6a5c8394', tgw: false },
  { name: 'dns-1', id: 'eni-0e2b7a35c6f8b94ac', ip: '10.10.2.53', subnet: 'app-b', instanceId: 'i-0a85eb2df7b6d94a5', tgw: false },
  { name: 'app-1', id: 'eni-0f3c8b46d7a9ca5bd', ip: '10.10.2.40', subnet: 'app-b', instanceId: 'i-0b96fc3ea8c7ea5b6', tgw: false },
  { name: 'tgw-eni-a', id: 'eni-04d9c57e8b0adb6ce', ip: '10.10.255.5', subnet: 'tgw-a', instanceId: '-', tgw: true },
  { name: 'tgw-eni-b', id: 'eni-05eab68f9c1bec7df', ip: '10.10.255.20', subnet: 'tgw-b', instanceId: '-', tgw: true },
];

export function eni(name: string): Eni {
  const e = ENIS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown ENI ${name}`);
  return e;
}

/** ENI owning an address (primary IPv4 or IPv6), if it is in the VPC. */
export function eniByIp(ip: string): Eni | undefined {
  return ENIS.find((x) => x.ip === ip || x.ipv6 === ip);
}

/** The TGW attachment ENI in the same AZ as an instance ENI (TGW keeps traffic in-AZ). */
export function tgwEniFor(e: Eni): Eni {
  return SUBNETS[e.subnet].az === SUBNETS['tgw-a'].az ? eni('tgw-eni-a') : eni('tgw-eni-b');
}

export const ONPREM = {
  https: '172.16.20.10',
  ldap: '172.16.20.20',
  syslog: '172.16.20.30',
  dbClients: ['172.16.20.40', '172.16.20.41'],
  resolver: '172.16.20.53',
  monitor: '172.16.20.5',
  admin: '172.16.10.200',
  scanner: '172.16.10.99',
  clientPrefix: '172.16.10.',
} as const;

export function isOnprem(ip: string): boolean {
  return ip.startsWith('172.16.');
}

// ---- flow logs and their layouts ----------------------------------------------------------------

export const V2_FIELDS = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'.split(' ');

/** App subnet a: a custom v5 layout (v2 fields first, as the console builds it). */
export const V5_FIELDS = [...V2_FIELDS, ...'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id flow-direction traffic-path'.split(' ')];

/** TGW ENIs: a custom order like the AWS doc's TGW-ENI example, extended with v5 fields. */
export const TGW_ENI_FIELDS = 'version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status start end packets bytes flow-direction traffic-path'.split(' ');

export const TGW_DEFAULT_FIELDS = 'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'.split(' ');

/** The 31-field custom TGW order seen in the otel test data. */
export const TGW_CUSTOM_FIELDS = 'version account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired start end log-status type tcp-flags flow-direction region'.split(' ');

export type Delivery = 's3' | 's3-hive' | 'cwl-export' | 'cwl-json';

export interface FlowLogDef {
  id: string;
  /** ENI names this flow log covers (TGW flow log: empty). */
  enis: string[];
  fields: string[];
  /** Aggregation interval in seconds. */
  window: 60 | 600;
  delivery: Delivery;
  hourly?: boolean;
  resourceId: string;
  logGroup?: string;
}

export const FLOW_LOGS = {
  appA: { id: 'fl-07c3a9e1d5b2f4086', enis: ['web-1', 'db-1', 'bastion'], fields: V5_FIELDS, window: 60, delivery: 's3', hourly: true, resourceId: SUBNETS['app-a'].id },
  appB: { id: 'fl-0d81b6f2c4e9a7053', enis: ['web-2', 'dns-1', 'app-1'], fields: V2_FIELDS, window: 600, delivery: 's3-hive', resourceId: SUBNETS['app-b'].id },
  tgwEniA: { id: 'fl-0e2f4a6c8b1d3e5f7', enis: ['tgw-eni-a'], fields: TGW_ENI_FIELDS, window: 60, delivery: 'cwl-export', resourceId: SUBNETS['tgw-a'].id, logGroup: '/vpc/flowlogs/tgw-subnets' },
  tgwEniB: { id: 'fl-0e2f4a6c8b1d3e5f7', enis: ['tgw-eni-b'], fields: TGW_ENI_FIELDS, window: 60, delivery: 'cwl-json', resourceId: SUBNETS['tgw-b'].id, logGroup: '/vpc/flowlogs/tgw-subnets' },
} satisfies Record<string, FlowLogDef>;

export const TGW_FLOW_LOG_ID = 'fl-0b9d7f5e3c1a2b4d6';

export function flowLogFor(eniName: string): FlowLogDef {
  for (const f of Object.values(FLOW_LOGS) as FlowLogDef[]) if (f.enis.includes(eniName)) return f;
  throw new Error(`no flow log covers ${eniName}`);
}

/** Highest version among chosen fields (what AWS writes in `version`). */
export function versionOf(fields: readonly string[]): number {
  const v5 = new Set(['pkt-src-aws-service', 'pkt-dst-aws-service', 'flow-direction', 'traffic-path']);
  const v4 = new Set(['region', 'az-id', 'sublocation-type', 'sublocation-id']);
  const v3 = new Set(['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr']);
  if (fields.some((f) => f.startsWith('tgw-') || f.startsWith('packets-lost') || f === 'resource-type')) return 6;
  if (fields.some((f) => v5.has(f))) return 5;
  if (fields.some((f) => v4.has(f))) return 4;
  if (fields.some((f) => v3.has(f))) return 3;
  return 2;
}
