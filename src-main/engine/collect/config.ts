/**
 * The VPN connection and what it hangs off (EC2 API): the connection itself, its Transit Gateway,
 * the TGW's attachments, route tables (routes and propagations), the VPCs' subnets and route
 * tables, and the flow logs on any of those resources. Each result becomes one AWS-CLI-shaped file.
 */
import {
  DescribeFlowLogsCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewaysCommand,
  DescribeVpnConnectionsCommand,
  DescribeVpnGatewaysCommand,
  GetTransitGatewayRouteTablePropagationsCommand,
  SearchTransitGatewayRoutesCommand,
  type EC2Client,
  type FlowLog,
  type TransitGatewayAttachment,
  type VpnConnection,
} from '@aws-sdk/client-ec2';
import type { Bundle } from './bundle.ts';
import type { CallLog, CallOutcome } from './calls.ts';

export interface TunnelInfo {
  outsideIp: string;
  /** Tunnel activity log group, when logging is on. */
  logGroup: string | null;
  /** BGP log group, when BGP logging is on. */
  bgpLogGroup: string | null;
}

export interface ConfigResult {
  vpn: VpnConnection | null;
  notes: string[];
  tunnels: TunnelInfo[];
  flowLogs: FlowLog[];
}

const groupOfArn = (arn: string | undefined) => (arn ? (/:log-group:([^:]+)/.exec(arn)?.[1] ?? null) : null);

/** Every page of a NextToken-paged call; pages and items are counted on the outcome (items add up across calls). */
async function allPages<T>(o: CallOutcome, get: (token: string | undefined) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const r = await get(token);
    o.pages++;
    all.push(...(r.items ?? []));
    token = r.next;
  } while (token);
  o.items += all.length;
  return all;
}

export function tunnelsOf(vpn: VpnConnection): TunnelInfo[] {
  const out = new Map<string, TunnelInfo>();
  for (const t of vpn.Options?.TunnelOptions ?? []) {
    if (!t.OutsideIpAddress) continue;
    const cw = t.LogOptions?.CloudWatchLogOptions;
    out.set(t.OutsideIpAddress, {
      outsideIp: t.OutsideIpAddress,
      logGroup: cw?.LogEnabled ? groupOfArn(cw.LogGroupArn) : null,
      bgpLogGroup: cw?.BgpLogEnabled ? groupOfArn(cw.BgpLogGroupArn) : null,
    });
  }
  for (const t of vpn.VgwTelemetry ?? []) {
    if (t.OutsideIpAddress && !out.has(t.OutsideIpAddress)) out.set(t.OutsideIpAddress, { outsideIp: t.OutsideIpAddress, logGroup: null, bgpLogGroup: null });
  }
  return [...out.values()];
}

export async function collectConfig(ec2: EC2Client, vpnId: string, bundle: Bundle, log: CallLog, signal?: AbortSignal): Promise<ConfigResult> {
  const opts = { abortSignal: signal };
  const res: ConfigResult = { vpn: null, notes: [], tunnels: [], flowLogs: [] };
  const notes = res.notes;

  await log.run('ec2:DescribeVpnConnections', vpnId, async (o) => {
    const r = await ec2.send(new DescribeVpnConnectionsCommand({ VpnConnectionIds: [vpnId] }), opts);
    o.pages = 1;
    o.items = r.VpnConnections?.length ?? 0;
    if (!r.VpnConnections?.length) throw Object.assign(new Error(`${vpnId} is not in this account and region`), { name: 'NotFound' });
    o.file = 'config/describe-vpn-connections.json';
    bundle.writeJson(o.file, { VpnConnections: r.VpnConnections });
    res.vpn = r.VpnConnections[0]!;
  }, signal);
  if (!res.vpn) return res;
  res.tunnels = tunnelsOf(res.vpn);

  // Resources whose flow logs matter: the TGW, its attachments, the VPCs behind it (or behind the VGW), their subnets.
  const resources = new Set<string>();
  const vpcIds = new Set<string>();
  const tgwId = res.vpn.TransitGatewayId;
  if (tgwId) {
    resources.add(tgwId);
    await log.run('ec2:DescribeTransitGateways', tgwId, async (o) => {
      const r = await ec2.send(new DescribeTransitGatewaysCommand({ TransitGatewayIds: [tgwId] }), opts);
      o.pages = 1;
      o.items = r.TransitGateways?.length ?? 0;
      o.file = 'config/describe-transit-gateways.json';
      bundle.writeJson(o.file, { TransitGateways: r.TransitGateways ?? [] });
    }, signal);
    const attachments: TransitGatewayAttachment[] = [];
    await log.run('ec2:DescribeTransitGatewayAttachments', tgwId, async (o) => {
      const filter = [{ Name: 'transit-gateway-id', Values: [tgwId] }];
      attachments.push(
        ...(await allPages(o, async (NextToken) => {
          const r = await ec2.send(new DescribeTransitGatewayAttachmentsCommand({ Filters: filter, NextToken, MaxResults: 1000 }), opts);
          return { items: r.TransitGatewayAttachments, next: r.NextToken };
        })),
      );
      o.file = 'config/describe-transit-gateway-attachments.json';
      bundle.writeJson(o.file, { TransitGatewayAttachments: attachments });
    }, signal);
    const tables = new Set<string>();
    for (const a of attachments) {
      if (a.TransitGatewayAttachmentId) resources.add(a.TransitGatewayAttachmentId);
      if (a.ResourceType === 'vpc' && a.ResourceId) vpcIds.add(a.ResourceId);
      const rtb = a.Association?.TransitGatewayRouteTableId;
      if (rtb && (a.ResourceId === vpnId || a.ResourceType === 'vpc')) tables.add(rtb);
    }
    for (const rtb of tables) {
      await log.run('ec2:SearchTransitGatewayRoutes', rtb, async (o) => {
        const r = await ec2.send(
          new SearchTransitGatewayRoutesCommand({ TransitGatewayRouteTableId: rtb, Filters: [{ Name: 'state', Values: ['active', 'blackhole'] }], MaxResults: 1000 }),
          opts,
        );
        o.pages = 1;
        o.items = r.Routes?.length ?? 0;
        if (r.AdditionalRoutesAvailable) notes.push(`Route table ${rtb} has more than 1000 routes in state active/blackhole; the bundle holds the first 1000.`);
        o.file = `config/search-transit-gateway-routes-${rtb}.json`;
        bundle.writeJson(o.file, { Routes: r.Routes ?? [], AdditionalRoutesAvailable: r.AdditionalRoutesAvailable ?? false });
      }, signal);
      await log.run('ec2:GetTransitGatewayRouteTablePropagations', rtb, async (o) => {
        const all = await allPages(o, async (NextToken) => {
          const r = await ec2.send(new GetTransitGatewayRouteTablePropagationsCommand({ TransitGatewayRouteTableId: rtb, NextToken, MaxResults: 1000 }), opts);
          return { items: r.TransitGatewayRouteTablePropagations, next: r.NextToken };
        });
        o.file = `config/get-transit-gateway-route-table-propagations-${rtb}.json`;
        bundle.writeJson(o.file, { TransitGatewayRouteTablePropagations: all });
      }, signal);
    }
  } else if (res.vpn.VpnGatewayId) {
    const vgw = res.vpn.VpnGatewayId;
    await log.run('ec2:DescribeVpnGateways', vgw, async (o) => {
      const r = await ec2.send(new DescribeVpnGatewaysCommand({ VpnGatewayIds: [vgw] }), opts);
      o.pages = 1;
      o.items = r.VpnGateways?.length ?? 0;
      for (const g of r.VpnGateways ?? []) for (const a of g.VpcAttachments ?? []) if (a.VpcId && a.State === 'attached') vpcIds.add(a.VpcId);
    }, signal);
  }

  if (vpcIds.size) {
    const vpcs = [...vpcIds];
    for (const v of vpcs) resources.add(v);
    await log.run('ec2:DescribeSubnets', vpcs.join(','), async (o) => {
      const subnets = await allPages(o, async (NextToken) => {
        const r = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcs }], NextToken }), opts);
        return { items: r.Subnets, next: r.NextToken };
      });
      for (const s of subnets) if (s.SubnetId) resources.add(s.SubnetId);
    }, signal);
    await log.run('ec2:DescribeRouteTables', vpcs.join(','), async (o) => {
      const all = await allPages(o, async (NextToken) => {
        const r = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: vpcs }], NextToken }), opts);
        return { items: r.RouteTables, next: r.NextToken };
      });
      o.file = 'config/describe-route-tables.json';
      bundle.writeJson(o.file, { RouteTables: all });
    }, signal);
  }

  if (resources.size) {
    const ids = [...resources];
    await log.run('ec2:DescribeFlowLogs', `${ids.length} resources`, async (o) => {
      // The resource-id filter takes at most 200 values.
      for (let i = 0; i < ids.length; i += 200) {
        const filter = [{ Name: 'resource-id', Values: ids.slice(i, i + 200) }];
        res.flowLogs.push(
          ...(await allPages(o, async (NextToken) => {
            const r = await ec2.send(new DescribeFlowLogsCommand({ Filter: filter, NextToken }), opts);
            return { items: r.FlowLogs, next: r.NextToken };
          })),
        );
      }
      o.items = res.flowLogs.length;
      o.file = 'config/describe-flow-logs.json';
      bundle.writeJson(o.file, { FlowLogs: res.flowLogs });
    }, signal);
  }
  return res;
}
