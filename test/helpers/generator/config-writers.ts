/**
 * AWS CLI configuration dumps, taken at the end of the timeline. describe-vpn-connections carries
 * real-looking secrets (PreSharedKey, and the key inside CustomerGatewayConfiguration) on purpose:
 * ingest must drop them.
 */
import { Out, isoMs, cliJson } from './out.ts';
import {
  ACCOUNT, REGION, VPC_ID, VPC_CIDR, ONPREM_CIDR, TGW_ID, TGW_ASN, TGW_RTB, VPC_ATTACH, VPN_ATTACH, VPN_ID, CGW_ID, CGW_IP, CGW_ASN,
  TUNNELS, SUBNETS, VPC_RTB, FLOW_LOGS, TGW_FLOW_LOG_ID, V2_FIELDS, type FlowLogDef,
} from './topology.ts';
import type { World } from './world.ts';

export interface ConfigState {
  end: number;
  /** Per tunnel: time of the last status change (epoch s). */
  lastChange: Record<1 | 2, number>;
  blackholePrefix: string | null;
  sgRejectActive: boolean;
  tgwFields: readonly string[];
}

function cgwXml(): string {
  const tunnels = TUNNELS.map((t) => `  <ipsec_tunnel>
    <customer_gateway>
      <tunnel_outside_address>
        <ip_address>${CGW_IP}</ip_address>
      </tunnel_outside_address>
      <tunnel_inside_address>
        <ip_address>${t.cgwInsideIp}</ip_address>
        <network_mask>255.255.255.252</network_mask>
        <network_cidr>30</network_cidr>
      </tunnel_inside_address>
      <bgp>
        <asn>${CGW_ASN}</asn>
        <hold_time>30</hold_time>
      </bgp>
    </customer_gateway>
    <vpn_gateway>
      <tunnel_outside_address>
        <ip_address>${t.outsideIp}</ip_address>
      </tunnel_outside_address>
      <tunnel_inside_address>
        <ip_address>${t.awsInsideIp}</ip_address>
        <network_mask>255.255.255.252</network_mask>
        <network_cidr>30</network_cidr>
      </tunnel_inside_address>
      <bgp>
        <asn>${TGW_ASN}</asn>
        <hold_time>30</hold_time>
      </bgp>
    </vpn_gateway>
    <ike>
      <authentication_protocol>sha1</authentication_protocol>
      <encryption_protocol>aes-128-cbc</encryption_protocol>
      <lifetime>28800</lifetime>
      <perfect_forward_secrecy>group2</perfect_forward_secrecy>
      <mode>main</mode>
      <pre_shared_key>${t.psk}</pre_shared_key>
    </ike>
    <ipsec>
      <protocol>esp</protocol>
      <authentication_protocol>hmac-sha1-96</authentication_protocol>
      <encryption_protocol>aes-128-cbc</encryption_protocol>
      <lifetime>3600</lifetime>
      <perfect_forward_secrecy>group2</perfect_forward_secrecy>
      <mode>tunnel</mode>
      <clear_df_bit>true</clear_df_bit>
      <fragmentation_before_encryption>true</fragmentation_before_encryption>
      <tcp_mss_adjustment>1379</tcp_mss_adjustment>
      <dead_peer_detection>
        <delay>10</delay>
        <retry>3</retry>
      </dead_peer_detection>
    </ipsec>
  </ipsec_tunnel>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<vpn_connection id="${VPN_ID}">
  <customer_gateway_id>${CGW_ID}</customer_gateway_id>
  <vpn_gateway_id></vpn_gateway_id>
  <vpn_connection_type>ipsec.1</vpn_connection_type>
${tunnels}
</vpn_connection>`;
}

export function writeConfig(out: Out, world: World, st: ConfigState): void {
  const meta = (records: number) => ({ kind: 'config' as const, format: 'aws-cli-json', records });
  const vpn = {
    CustomerGatewayConfiguration: cgwXml(),
    CustomerGatewayId: CGW_ID,
    Category: 'VPN',
    State: 'available',
    Type: 'ipsec.1',
    VpnConnectionId: VPN_ID,
    TransitGatewayId: TGW_ID,
    GatewayAssociationState: 'associated',
    Options: {
      EnableAcceleration: false,
      StaticRoutesOnly: false,
      LocalIpv4NetworkCidr: '0.0.0.0/0',
      RemoteIpv4NetworkCidr: '0.0.0.0/0',
      OutsideIpAddressType: 'PublicIpv4',
      TunnelInsideIpVersion: 'ipv4',
      TunnelOptions: TUNNELS.map((t) => ({
        OutsideIpAddress: t.outsideIp,
        TunnelInsideCidr: t.insideCidr,
        PreSharedKey: t.psk,
        Phase1LifetimeSeconds: 28800,
        Phase2LifetimeSeconds: 3600,
        RekeyMarginTimeSeconds: 540,
        RekeyFuzzPercentage: 100,
        ReplayWindowSize: 1024,
        DpdTimeoutSeconds: 30,
        DpdTimeoutAction: 'clear',
        Phase1EncryptionAlgorithms: [{ Value: 'AES128' }, { Value: 'AES256' }],
        Phase2EncryptionAlgorithms: [{ Value: 'AES128' }, { Value: 'AES256' }],
        Phase1IntegrityAlgorithms: [{ Value: 'SHA1' }, { Value: 'SHA2-256' }],
        Phase2IntegrityAlgorithms: [{ Value: 'SHA1' }, { Value: 'SHA2-256' }],
        Phase1DHGroupNumbers: [{ Value: 2 }, { Value: 14 }],
        Phase2DHGroupNumbers: [{ Value: 2 }, { Value: 14 }],
        IkeVersions: [{ Value: 'ikev2' }],
        StartupAction: 'add',
        LogOptions: {
          CloudWatchLogOptions: {
            LogEnabled: true,
            LogGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vpn/${VPN_ID}`,
            LogOutputFormat: 'json',
            BgpLogEnabled: true,
            BgpLogGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vpn/${VPN_ID}/bgp`,
            BgpLogOutputFormat: 'json',
          },
        },
        EnableTunnelLifecycleControl: false,
      })),
    },
    Routes: [],
    Tags: [{ Key: 'Name', Value: 'dc1-primary' }],
    VgwTelemetry: TUNNELS.map((t) => {
      const up = world.tunnelUp(t.index, st.end - 1);
      return {
        AcceptedRouteCount: up ? 1 : 0,
        LastStatusChange: isoMs(st.lastChange[t.index] * 1000),
        OutsideIpAddress: t.outsideIp,
        Status: up ? 'UP' : 'DOWN',
        StatusMessage: up ? '1 BGP ROUTES' : 'IPSEC IS DOWN',
      };
    }),
  };
  out.write('config/describe-vpn-connections.json', cliJson({ VpnConnections: [vpn] }), meta(1));

  out.write('config/describe-transit-gateways.json', cliJson({
    TransitGateways: [{
      TransitGatewayId: TGW_ID,
      TransitGatewayArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:transit-gateway/${TGW_ID}`,
      State: 'available',
      OwnerId: ACCOUNT,
      Description: 'core-tgw',
      CreationTime: '2025-03-04T09:12:41+00:00',
      Options: {
        AmazonSideAsn: TGW_ASN,
        AutoAcceptSharedAttachments: 'disable',
        DefaultRouteTableAssociation: 'enable',
        AssociationDefaultRouteTableId: TGW_RTB,
        DefaultRouteTablePropagation: 'enable',
        PropagationDefaultRouteTableId: TGW_RTB,
        VpnEcmpSupport: 'enable',
        DnsSupport: 'enable',
        SecurityGroupReferencingSupport: 'disable',
        MulticastSupport: 'disable',
      },
      Tags: [{ Key: 'Name', Value: 'core-tgw' }],
    }],
  }), meta(1));

  const attach = (id: string, type: 'vpc' | 'vpn', resourceId: string, name: string) => ({
    TransitGatewayAttachmentId: id,
    TransitGatewayId: TGW_ID,
    TransitGatewayOwnerId: ACCOUNT,
    ResourceOwnerId: ACCOUNT,
    ResourceType: type,
    ResourceId: resourceId,
    State: 'available',
    Association: { TransitGatewayRouteTableId: TGW_RTB, State: 'associated' },
    CreationTime: '2025-03-04T09:20:13+00:00',
    Tags: [{ Key: 'Name', Value: name }],
  });
  out.write('config/describe-transit-gateway-attachments.json', cliJson({
    TransitGatewayAttachments: [attach(VPC_ATTACH, 'vpc', VPC_ID, 'app-vpc'), attach(VPN_ATTACH, 'vpn', VPN_ID, 'dc1-vpn')],
  }), meta(2));

  const routes: object[] = [
    { DestinationCidrBlock: VPC_CIDR, TransitGatewayAttachments: [{ ResourceId: VPC_ID, TransitGatewayAttachmentId: VPC_ATTACH, ResourceType: 'vpc' }], Type: 'propagated', State: 'active' },
    { DestinationCidrBlock: ONPREM_CIDR, TransitGatewayAttachments: [{ ResourceId: VPN_ID, TransitGatewayAttachmentId: VPN_ATTACH, ResourceType: 'vpn' }], Type: 'propagated', State: 'active' },
  ];
  if (st.blackholePrefix) routes.push({ DestinationCidrBlock: st.blackholePrefix, Type: 'static', State: 'blackhole' });
  out.write('config/search-transit-gateway-routes.json', cliJson({ Routes: routes, AdditionalRoutesAvailable: false }), meta(routes.length));

  const rtb = (id: string, subnets: string[], main: boolean) => ({
    Associations: [
      ...(main ? [{ Main: true, RouteTableAssociationId: `rtbassoc-0${id.slice(-16)}`, RouteTableId: id, AssociationState: { State: 'associated' } }] : []),
      ...subnets.map((s, i) => ({ Main: false, RouteTableAssociationId: `rtbassoc-0${(i + 1).toString(16)}${id.slice(-15)}`, RouteTableId: id, SubnetId: s, AssociationState: { State: 'associated' } })),
    ],
    PropagatingVgws: [],
    RouteTableId: id,
    Routes: [
      { DestinationCidrBlock: VPC_CIDR, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
      { DestinationCidrBlock: ONPREM_CIDR, TransitGatewayId: TGW_ID, Origin: 'CreateRoute', State: 'active' },
      { DestinationIpv6CidrBlock: '2600:1f18:2c4:a600::/56', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
    ],
    Tags: [{ Key: 'Name', Value: main ? 'app-main' : 'tgw-subnets' }],
    VpcId: VPC_ID,
    OwnerId: ACCOUNT,
  });
  out.write('config/describe-route-tables.json', cliJson({
    RouteTables: [rtb(VPC_RTB, [SUBNETS['app-a'].id, SUBNETS['app-b'].id], true), rtb('rtb-07a8b9c0d1e2f3a4b', [SUBNETS['tgw-a'].id, SUBNETS['tgw-b'].id], false)],
  }), meta(2));

  const fl = (def: FlowLogDef, dest: 's3' | 'cwl') => ({
    CreationTime: '2025-03-05T10:02:11.000Z',
    DeliverLogsStatus: 'SUCCESS',
    FlowLogId: def.id,
    FlowLogStatus: 'ACTIVE',
    ...(dest === 'cwl'
      ? { LogGroupName: def.logGroup, DeliverLogsPermissionArn: `arn:aws:iam::${ACCOUNT}:role/flowlogs-to-cwl`, LogDestinationType: 'cloud-watch-logs', LogDestination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${def.logGroup}` }
      : { LogDestinationType: 's3', LogDestination: `arn:aws:s3:::netops-flowlogs-${ACCOUNT}` }),
    ResourceId: def.resourceId,
    TrafficType: 'ALL',
    LogFormat: def.fields.map((f) => '${' + f + '}').join(' '),
    MaxAggregationInterval: def.window,
    ...(dest === 's3' ? { DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: def.delivery === 's3-hive', PerHourPartition: def.hourly ?? false } } : {}),
  });
  const tgwFl = {
    CreationTime: '2025-03-05T10:04:51.000Z', DeliverLogsStatus: 'SUCCESS', FlowLogId: TGW_FLOW_LOG_ID, FlowLogStatus: 'ACTIVE',
    LogDestinationType: 's3', LogDestination: `arn:aws:s3:::netops-flowlogs-${ACCOUNT}`, ResourceId: TGW_ID, TrafficType: 'ALL',
    LogFormat: st.tgwFields.map((f) => '${' + f + '}').join(' '),
    MaxAggregationInterval: 60, DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false },
  };
  const seen = new Set<string>();
  const defs = (Object.values(FLOW_LOGS) as FlowLogDef[]).filter((d) => (seen.has(d.id) ? false : (seen.add(d.id), true)));
  const fls = [...defs.map((d) => fl(d, d.delivery.startsWith('cwl') ? 'cwl' : 's3')), tgwFl];
  out.write('config/describe-flow-logs.json', cliJson({ FlowLogs: fls }), meta(fls.length));
  void V2_FIELDS;
}
