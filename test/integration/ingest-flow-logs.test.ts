/**
 * describe-flow-logs as a config source, and its LogFormat as the layout of headerless CloudWatch
 * flow records (flow-logs.ts); the export-task marker object; empty event pages.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanTmp, ingest, sources, tmp, withCase } from './ingest-helpers.ts';

afterEach(cleanTmp);

const CUSTOM = ['version', 'interface-id', 'account-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status', 'flow-direction', 'pkt-srcaddr'];
const OTHER = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status', 'vpc-id', 'subnet-id', 'tcp-flags'];
const fmt = (names: string[]) => names.map((n) => '${' + n + '}').join(' ');
const T0 = 1795132800;

function record(i: number): string {
  return `5 eni-0a1b2c3d4e5f60718 318927465021 10.10.255.5 172.16.20.10 ${40000 + i} 443 6 ${3 + i} ${400 + i} ${T0 + i * 60} ${T0 + i * 60 + 50} ACCEPT OK egress 10.10.1.21`;
}

function flowLogs(extra: object[] = []): string {
  return JSON.stringify(
    {
      FlowLogs: [
        { FlowLogId: 'fl-0e2f4a6c8b1d3e5f7', LogFormat: fmt(CUSTOM), LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/tgw-eni', LogDestination: 'arn:aws:logs:us-east-1:318927465021:log-group:/vpc/tgw-eni', ResourceId: 'subnet-0aa', TrafficType: 'ALL', MaxAggregationInterval: 60 },
        { FlowLogId: 'fl-07c3a9e1d5b2f4086', LogFormat: fmt(OTHER), LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::bucket', ResourceId: 'subnet-0bb', TrafficType: 'ALL', MaxAggregationInterval: 60 },
        ...extra,
      ],
    },
    null,
    4,
  );
}

function writeExport(dir: string, n: number): void {
  // An export task: <task>/<stream>/000000.gz with "<ISO time> <record>" lines, and the marker object.
  mkdirSync(join(dir, 'a-cwl-export/task-1/eni-0a1b2c3d4e5f60718-all'), { recursive: true });
  const lines = Array.from({ length: n }, (_, i) => `${new Date((T0 + i * 60) * 1000).toISOString()} ${record(i)}`);
  writeFileSync(join(dir, 'a-cwl-export/task-1/eni-0a1b2c3d4e5f60718-all/000000.gz'), gzipSync(lines.join('\n') + '\n'));
  writeFileSync(join(dir, 'a-cwl-export/aws-logs-write-test'), 'Permission Check Successful');
  // filter-log-events pages for the same log group, one of them empty
  const events = Array.from({ length: n }, (_, i) => ({ logStreamName: 'eni-0a1b2c3d4e5f60718-all', timestamp: (T0 + i * 60) * 1000, message: record(i + 1000), ingestionTime: 1, eventId: String(i) }));
  writeFileSync(join(dir, 'b-filter-log-events.json'), JSON.stringify({ events, searchedLogStreams: [] }, null, 2));
  writeFileSync(join(dir, 'c-empty-page.json'), JSON.stringify({ events: [], searchedLogStreams: [] }, null, 2));
  writeFileSync(join(dir, 'd-get-log-events-empty.json'), JSON.stringify({ events: [], nextForwardToken: 'f/1', nextBackwardToken: 'b/1' }));
}

describe('describe-flow-logs gives the layout of headerless CloudWatch flow records', () => {
  it('flow files listed before the config, no --format: the LogFormat is used, nothing quarantined', async () => {
    const dir = tmp();
    writeExport(dir, 12);
    mkdirSync(join(dir, 'z-config'));
    writeFileSync(join(dir, 'z-config/describe-flow-logs.json'), flowLogs());
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      expect(s.quarantined).toBe(0);
      const byPath = new Map(s.files.map((f) => [f.path.slice(dir.length), f]));
      expect(byPath.get('/a-cwl-export/task-1/eni-0a1b2c3d4e5f60718-all/000000.gz')).toMatchObject({ outcome: 'imported', kind: 'vpc_flows', records: 12, quarantined: 0 });
      expect(byPath.get('/b-filter-log-events.json')).toMatchObject({ outcome: 'imported', records: 12, quarantined: 0 });
      expect(byPath.get('/c-empty-page.json')).toMatchObject({ outcome: 'imported', records: 0, quarantined: 0 });
      expect(byPath.get('/d-get-log-events-empty.json')).toMatchObject({ outcome: 'imported', records: 0, quarantined: 0 });
      expect(byPath.get('/a-cwl-export/aws-logs-write-test')).toMatchObject({ outcome: 'imported', kind: 'unknown', records: 0, quarantined: 0 });
      // the config file was read first
      expect(s.files[0]!.path.endsWith('describe-flow-logs.json')).toBe(true);
      const src = await sources(db);
      const marker = src.find((x) => x.path.endsWith('aws-logs-write-test'))!;
      expect(marker).toMatchObject({ lines_read: 1, blank_lines: 1, quarantined: 0, format: 'cwl-export-marker' });
      for (const x of src.filter((y) => y.kind === 'vpc_flows' && y.records > 0)) expect(x.fields).toBe(CUSTOM.join(' '));
      const fl = await db.all<{ object_id: string; fmt: string }>("SELECT object_id, data->>'$.LogFormat' AS fmt FROM config_objects WHERE kind = 'flow_log' ORDER BY object_id");
      expect(fl.map((r) => r.object_id)).toEqual(['fl-07c3a9e1d5b2f4086', 'fl-0e2f4a6c8b1d3e5f7']);
      const row = await db.one<{ fd: string; pkt: string; stream: string }>('SELECT flow_direction AS fd, pkt_srcaddr AS pkt, log_stream AS stream FROM vpc_flows WHERE line = 1 AND source_id = (SELECT min(source_id) FROM sources WHERE format = \'cwl-export\')');
      expect(row).toEqual({ fd: 'egress', pkt: '10.10.1.21', stream: 'eni-0a1b2c3d4e5f60718-all' });
    });
  });

  it('a flow log already in the case is used by a later import; an explicit --format still wins', async () => {
    const dir = tmp();
    writeExport(dir, 5);
    const cfg = join(tmp(), 'describe-flow-logs.json');
    writeFileSync(cfg, flowLogs());
    await withCase(async (db) => {
      await ingest(db, [cfg]);
      const s = await ingest(db, [join(dir, 'a-cwl-export')]);
      expect(s).toMatchObject({ records: 5, quarantined: 0 });
    });
    await withCase(async (db) => {
      await ingest(db, [cfg]);
      const s = await ingest(db, [join(dir, 'b-filter-log-events.json')], { format: fmt(CUSTOM.slice(0, 14)) });
      expect(s).toMatchObject({ records: 0, quarantined: 5 });
      expect((await db.one<{ r: string }>('SELECT DISTINCT reason AS r FROM quarantine'))!.r).toBe('expected 14 fields, found 16');
    });
  });

  it('several CloudWatch flow logs: the log group of a subscription payload picks the format; without one, the default layout', async () => {
    const dir = tmp();
    const second = { FlowLogId: 'fl-0999', LogFormat: fmt(OTHER), LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/app', ResourceId: 'vpc-1', TrafficType: 'ALL' };
    writeFileSync(join(dir, 'describe-flow-logs.json'), flowLogs([second]));
    const payload = { messageType: 'DATA_MESSAGE', owner: '318927465021', logGroup: '/vpc/tgw-eni', logStream: 'eni-0a1b2c3d4e5f60718-all', subscriptionFilters: ['f'], logEvents: [0, 1, 2].map((i) => ({ id: String(i), timestamp: (T0 + i) * 1000, message: record(i + 50) })) };
    writeFileSync(join(dir, 'subscription.json'), JSON.stringify(payload));
    writeFileSync(join(dir, 'unnamed.json'), JSON.stringify({ events: [0, 1].map((i) => ({ timestamp: (T0 + i) * 1000, message: record(i + 90) })) }));
    await withCase(async (db) => {
      const s = await ingest(db, [dir]);
      const sub = s.files.find((f) => f.path.endsWith('subscription.json'))!;
      expect(sub).toMatchObject({ records: 3, quarantined: 0 });
      // two CloudWatch flow logs with other formats and no log group: ambiguous, so the default layout (and clear reasons)
      const un = s.files.find((f) => f.path.endsWith('unnamed.json'))!;
      expect(un).toMatchObject({ records: 0, quarantined: 2 });
    });
  });
});
