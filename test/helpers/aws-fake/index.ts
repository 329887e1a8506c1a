/**
 * A fake AWS endpoint on 127.0.0.1 (plain node:http) for `tunnelscope collect` tests. It speaks the
 * wire protocols the installed SDK clients use:
 * - EC2: ec2 query protocol (form-encoded POST, `Action=…`), XML responses (ec2-xml.ts);
 * - CloudWatch: awsJson1_0 (`X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`), timestamps as epoch seconds;
 * - CloudWatch Logs: awsJson1_1 (`X-Amz-Target: Logs_20140328.FilterLogEvents`);
 * - anything else (S3 path-style requests) is passed to `s3Endpoint` when given (s3rver), so one
 *   `--endpoint-url` serves every client.
 * Signatures are not checked. Every call is recorded; `faults` make an action fail.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ec2Error, ec2Response, filters, listParam, parseForm } from './ec2-xml.ts';
import type { FakeData } from './data.ts';

export { loadExport, groupOfArn, type FakeData } from './data.ts';

export interface Fault {
  status: number;
  code: string;
  message?: string;
  /** Fail this many times, then answer normally (default: always). */
  times?: number;
  /** Only when this parameter text appears in the request (e.g. a log group name). */
  when?: string;
}

export interface FakeCall {
  service: 'ec2' | 'monitoring' | 'logs' | 's3';
  action: string;
  params: Record<string, unknown>;
  status: number;
}

export interface AwsFake {
  endpoint: string;
  data: FakeData;
  calls: FakeCall[];
  faults: Map<string, Fault>;
  close(): Promise<void>;
}

export interface FakeOptions {
  /** Items per page for paged answers (events, data points, attachments, flow logs). */
  pageSize?: number;
  s3Endpoint?: string;
}

type Handler = (p: Record<string, unknown>) => Record<string, unknown>;

function page<T>(items: T[], token: unknown, size: number): { items: T[]; next?: string } {
  const from = typeof token === 'string' && token ? Number(token.replace(/^page-/, '')) : 0;
  const slice = items.slice(from, from + size);
  return from + size < items.length ? { items: slice, next: `page-${from + size}` } : { items: slice };
}

export async function startAwsFake(data: FakeData, opts: FakeOptions = {}): Promise<AwsFake> {
  const size = opts.pageSize ?? 100;
  const calls: FakeCall[] = [];
  const faults = new Map<string, Fault>();

  const ec2: Record<string, Handler> = {
    DescribeVpnConnections: (p) => {
      const ids = listParam(p as Record<string, string>, 'VpnConnectionId');
      const found = data.vpnConnections.filter((v) => ids.length === 0 || ids.includes(v.VpnConnectionId as string));
      const missing = ids.find((id) => !found.some((v) => v.VpnConnectionId === id));
      if (missing) throw Object.assign(new Error(`The vpnConnection ID '${missing}' does not exist`), { code: 'InvalidVpnConnectionID.NotFound', status: 400 });
      return { VpnConnections: found };
    },
    DescribeTransitGateways: (p) => {
      const ids = listParam(p as Record<string, string>, 'TransitGatewayIds');
      return { TransitGateways: data.transitGateways.filter((t) => ids.length === 0 || ids.includes(t.TransitGatewayId as string)) };
    },
    DescribeTransitGatewayAttachments: (p) => {
      const f = filters(p as Record<string, string>);
      const all = data.attachments.filter(
        (a) => (!f['transit-gateway-id'] || f['transit-gateway-id'].includes(a.TransitGatewayId as string)) && (!f['resource-id'] || f['resource-id'].includes(a.ResourceId as string)),
      );
      const pg = page(all, p.NextToken, size);
      return { TransitGatewayAttachments: pg.items, NextToken: pg.next };
    },
    SearchTransitGatewayRoutes: () => ({ Routes: data.tgwRoutes, AdditionalRoutesAvailable: false }),
    GetTransitGatewayRouteTablePropagations: (p) => ({
      TransitGatewayRouteTablePropagations: data.attachments
        .filter((a) => (a.Association as { TransitGatewayRouteTableId?: string } | undefined)?.TransitGatewayRouteTableId === p.TransitGatewayRouteTableId)
        .map((a) => ({ TransitGatewayAttachmentId: a.TransitGatewayAttachmentId, ResourceId: a.ResourceId, ResourceType: a.ResourceType, State: 'enabled' })),
    }),
    DescribeFlowLogs: (p) => {
      const f = filters(p as Record<string, string>);
      const all = data.flowLogs.filter((x) => !f['resource-id'] || f['resource-id'].includes(x.ResourceId as string));
      const pg = page(all, p.NextToken, size);
      return { FlowLogs: pg.items, NextToken: pg.next };
    },
    DescribeSubnets: (p) => {
      const f = filters(p as Record<string, string>);
      return { Subnets: data.subnets.filter((s) => !f['vpc-id'] || f['vpc-id'].includes(s.VpcId as string)) };
    },
    DescribeRouteTables: (p) => {
      const f = filters(p as Record<string, string>);
      return { RouteTables: data.routeTables.filter((r) => !f['vpc-id'] || f['vpc-id'].includes(r.VpcId as string)) };
    },
  };

  const monitoring: Record<string, Handler> = {
    GetMetricData: (p) => {
      const start = Number(p.StartTime);
      const end = Number(p.EndTime);
      const queries = p.MetricDataQueries as { Id: string; Label?: string; MetricStat: { Metric: { MetricName: string; Dimensions?: { Name: string; Value: string }[] } } }[];
      // Every (query, point) pair in a fixed order, newest first per query; a page is a slice of them.
      const pairs: { q: number; t: number; v: number }[] = [];
      queries.forEach((q, qi) => {
        const dim = (n: string) => q.MetricStat.Metric.Dimensions?.find((d) => d.Name === n)?.Value;
        const s = data.series.find((x) => x.metric === q.MetricStat.Metric.MetricName && x.vpnId === dim('VpnId') && x.tunnelIp === dim('TunnelIpAddress'));
        const ts = [...(s?.points.keys() ?? [])].filter((t) => t >= start && t < end).sort((a, b) => b - a);
        for (const t of ts) pairs.push({ q: qi, t, v: s!.points.get(t)! });
      });
      const pg = page(pairs, p.NextToken, size);
      const first = !p.NextToken;
      const results = queries
        .map((q, qi) => {
          const mine = pg.items.filter((x) => x.q === qi);
          if (mine.length === 0 && !first) return null;
          const more = pairs.slice(pairs.indexOf(pg.items.at(-1)!) + 1).some((x) => x.q === qi);
          return { Id: q.Id, Label: q.Label ?? q.MetricStat.Metric.MetricName, Timestamps: mine.map((x) => x.t), Values: mine.map((x) => x.v), StatusCode: more ? 'PartialData' : 'Complete' };
        })
        .filter((r) => r !== null);
      return { MetricDataResults: results, Messages: [], NextToken: pg.next };
    },
  };

  const logs: Record<string, Handler> = {
    FilterLogEvents: (p) => {
      const group = p.logGroupName as string;
      const evs = data.logGroups.get(group);
      if (!evs) throw Object.assign(new Error('The specified log group does not exist.'), { code: 'ResourceNotFoundException', status: 400 });
      const streams = p.logStreamNames as string[] | undefined;
      const all = evs.filter(
        (e) => (p.startTime === undefined || e.timestamp >= Number(p.startTime)) && (p.endTime === undefined || e.timestamp <= Number(p.endTime)) && (!streams || streams.includes(e.logStreamName)),
      );
      const pg = page(all, p.nextToken, Math.min(size, Number(p.limit ?? size)));
      return { events: pg.items, searchedLogStreams: [], nextToken: pg.next };
    },
  };

  const server = http.createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const isForm = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
    if (!target && !isForm) {
      if (!opts.s3Endpoint) {
        res.writeHead(404).end();
        return;
      }
      calls.push({ service: 's3', action: `${req.method} ${req.url}`, params: {}, status: 0 });
      // The host header stays as signed; s3rver checks the signature against it.
      const up = new URL(opts.s3Endpoint);
      const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let service: FakeCall['service'];
      let action: string;
      let params: Record<string, unknown>;
      if (typeof target === 'string') {
        const [prefix, op] = target.split('.') as [string, string];
        service = prefix.startsWith('Logs') ? 'logs' : 'monitoring';
        action = op;
        params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      } else {
        service = 'ec2';
        params = parseForm(body);
        action = String(params.Action);
      }
      const send = (status: number, text: string, type: string) => {
        calls.push({ service, action, params, status });
        res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': 'fake' });
        res.end(text);
      };
      const jsonType = service === 'logs' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0';
      const fail = (status: number, code: string, message: string) =>
        service === 'ec2' ? send(status, ec2Error(code, message), 'text/xml') : send(status, JSON.stringify({ __type: code, message }), jsonType);

      const fault = faults.get(action);
      if (fault && (fault.times === undefined || fault.times > 0) && (!fault.when || body.includes(fault.when))) {
        if (fault.times !== undefined) fault.times--;
        fail(fault.status, fault.code, fault.message ?? `injected ${fault.code}`);
        return;
      }
      const table = service === 'ec2' ? ec2 : service === 'logs' ? logs : monitoring;
      const handler = table[action];
      if (!handler) {
        fail(400, service === 'ec2' ? 'InvalidAction' : 'UnknownOperationException', `aws-fake does not implement ${action}`);
        return;
      }
      try {
        const out = handler(params);
        if (service === 'ec2') send(200, ec2Response(action, out), 'text/xml');
        else send(200, JSON.stringify(out), jsonType);
      } catch (e) {
        const err = e as Error & { code?: string; status?: number };
        fail(err.status ?? 500, err.code ?? 'InternalFailure', err.message);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    data,
    calls,
    faults,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
