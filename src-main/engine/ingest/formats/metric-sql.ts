/**
 * SQL fragments for CloudWatch metric files: what a label says about its series.
 * Labels are free text ("TunnelDataOut vpn-0abc 203.0.113.10", console labels, plain "TunnelState"),
 * so each attribute is pulled out on its own with a regular expression.
 */
import { IPV4_RE, VPN_ID_RE } from './json-docs.ts';

export const VPN_METRICS = ['TunnelDataIn', 'TunnelDataOut', 'TunnelState'];
export const TGW_METRICS = [
  'BytesIn',
  'BytesOut',
  'PacketsIn',
  'PacketsOut',
  'PacketDropCountBlackhole',
  'PacketDropCountNoRoute',
  'BytesDropCountBlackhole',
  'BytesDropCountNoRoute',
];

const METRIC_RE = String.raw`\b(TunnelDataIn|TunnelDataOut|TunnelState|BytesIn|BytesOut|PacketsIn|PacketsOut|(?:Packet|Bytes)DropCount[A-Za-z]+)\b`;
const STAT_RE = String.raw`\b(Sum|Average|Minimum|Maximum|SampleCount|p\d+(?:\.\d+)?)\b`;

const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');

export const sqlFrom = {
  vpnId: (e: string) => `nullif(regexp_extract(${e}, '${VPN_ID_RE}', 1), '')`,
  ip: (e: string) => `nullif(regexp_extract(${e}, '${IPV4_RE}', 1), '')`,
  attachment: (e: string) => `nullif(regexp_extract(${e}, '(tgw-attach-[0-9a-fA-F]+)', 1), '')`,
  tgw: (e: string) => String.raw`nullif(regexp_extract(${e}, '(tgw-[0-9a-fA-F]{8,17})\b', 1), '')`,
  metric: (e: string) => `nullif(regexp_extract(${e}, '${METRIC_RE}', 1), '')`,
  stat: (e: string) => `nullif(regexp_extract(${e}, '${STAT_RE}', 1), '')`,
};

export function namespaceOf(metric: string): string {
  return `CASE WHEN ${metric} IN (${list(VPN_METRICS)}) THEN 'AWS/VPN'
               WHEN ${metric} IN (${list(TGW_METRICS)}) OR ${metric} LIKE '%DropCount%' THEN 'AWS/TransitGateway' END`;
}

export function unitOf(metric: string): string {
  return `CASE WHEN ${metric} IN ('TunnelDataIn', 'TunnelDataOut') OR ${metric} LIKE 'Bytes%' THEN 'Bytes'
               WHEN ${metric} LIKE 'Packet%' THEN 'Count'
               WHEN ${metric} = 'TunnelState' THEN 'None' END`;
}

/** Default period when a series has a single point and no query file: AWS/VPN 300 s, TGW 60 s. */
export function defaultPeriod(namespace: string): string {
  return `CASE ${namespace} WHEN 'AWS/VPN' THEN 300 WHEN 'AWS/TransitGateway' THEN 60 END`;
}
