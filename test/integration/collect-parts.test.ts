/** The small decisions inside `collect`: where flow logs are read from, what never reaches a file, which period. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Bundle, fileSafe, scrub } from '../../src-main/engine/collect/bundle.ts';
import { flowLogDestination } from '../../src-main/engine/collect/index.ts';
import { metricQueries, periodFor } from '../../src-main/engine/collect/metrics.ts';
import { tunnelsOf } from '../../src-main/engine/collect/config.ts';

describe('collect parts', () => {
  it('maps flow-log destinations to a log group, an S3 prefix, or nothing readable', () => {
    expect(flowLogDestination({ LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/fl' })).toEqual({ kind: 'cwl', group: '/vpc/fl' });
    expect(flowLogDestination({ LogDestinationType: 'cloud-watch-logs', LogDestination: 'arn:aws:logs:us-east-1:1:log-group:/vpc/x:*' })).toEqual({ kind: 'cwl', group: '/vpc/x' });
    expect(flowLogDestination({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::bkt' })).toEqual({ kind: 's3', uri: 's3://bkt/' });
    expect(flowLogDestination({ LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::bkt/team/flows/' })).toEqual({ kind: 's3', uri: 's3://bkt/team/flows/' });
    expect(flowLogDestination({ LogDestinationType: 'kinesis-data-firehose', LogDestination: 'arn:aws:firehose:us-east-1:1:deliverystream/x' })).toEqual({ kind: 'other' });
  });

  it('drops pre-shared keys and the CGW configuration at any depth, and writes dates as ISO text', () => {
    const v = { VpnConnections: [{ CustomerGatewayConfiguration: '<pre_shared_key>k</pre_shared_key>', Options: { TunnelOptions: [{ PreSharedKey: 'k', OutsideIpAddress: '1.2.3.4' }] }, T: new Date(0) }] };
    expect(scrub(v)).toEqual({ VpnConnections: [{ Options: { TunnelOptions: [{ OutsideIpAddress: '1.2.3.4' }] }, T: '1970-01-01T00:00:00.000Z' }] });
    const dir = mkdtempSync(join(tmpdir(), 'tscope-bundle-'));
    try {
      const b = new Bundle(dir);
      b.writeJson('config/x.json', v);
      b.startPages('logs/y.json');
      b.appendPage('logs/y.json', { events: [{ message: 'a', PreSharedKey: 'k' }] });
      b.appendPage('logs/y.json', { events: [{ message: 'b' }] });
      expect(b.files).toEqual(['config/x.json', 'logs/y.json']);
      expect(readFileSync(join(dir, 'config/x.json'), 'utf8')).not.toMatch(/PreSharedKey|pre_shared_key|CustomerGatewayConfiguration/);
      expect(readFileSync(join(dir, 'logs/y.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ events: [{ message: 'a' }] }, { events: [{ message: 'b' }] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(fileSafe('/aws/vpn/vpn-1/bgp')).toBe('aws_vpn_vpn-1_bgp');
  });

  it('asks for each tunnel with both dimensions, at a period CloudWatch still keeps', () => {
    const q = metricQueries('vpn-0abc12345', ['1.1.1.1', '2.2.2.2'], 300);
    expect(q.map((x) => x.Id)).toEqual(['t1_in', 't1_out', 't1_state', 't2_in', 't2_out', 't2_state']);
    expect(q[5]!.MetricStat!.Metric!.Dimensions).toEqual([{ Name: 'VpnId', Value: 'vpn-0abc12345' }, { Name: 'TunnelIpAddress', Value: '2.2.2.2' }]);
    expect(q.map((x) => x.MetricStat!.Stat)).toEqual(['Sum', 'Sum', 'Average', 'Sum', 'Sum', 'Average']);
    const now = Date.UTC(2026, 10, 27);
    expect(periodFor(new Date(now - 86400_000), now)).toBe(300);
    expect(periodFor(new Date(now - 70 * 86400_000), now)).toBe(3600);
  });

  it('reads tunnel log groups only where logging is on', () => {
    const t = tunnelsOf({
      Options: {
        TunnelOptions: [
          { OutsideIpAddress: '1.1.1.1', LogOptions: { CloudWatchLogOptions: { LogEnabled: true, LogGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/vpn/a', BgpLogEnabled: true, BgpLogGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/vpn/b:*' } } },
          { OutsideIpAddress: '2.2.2.2', LogOptions: { CloudWatchLogOptions: { LogEnabled: false, LogGroupArn: 'arn:aws:logs:us-east-1:1:log-group:/vpn/a' } } },
        ],
      },
      VgwTelemetry: [{ OutsideIpAddress: '3.3.3.3' }],
    });
    expect(t).toEqual([
      { outsideIp: '1.1.1.1', logGroup: '/vpn/a', bgpLogGroup: '/vpn/b' },
      { outsideIp: '2.2.2.2', logGroup: null, bgpLogGroup: null },
      { outsideIp: '3.3.3.3', logGroup: null, bgpLogGroup: null },
    ]);
  });
});
