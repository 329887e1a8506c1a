import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TGW_LAYOUT, VPC_FIELDS } from '../../src-main/engine/ingest/fields.ts';
import { cleanTmp, FIX, ingest, sources, tmp, withCase } from './ingest-helpers.ts';

afterEach(cleanTmp);

const fmt = (dir: string, name: string) => readFileSync(join(FIX, dir, `${name}.format.txt`), 'utf8').trim();
const lineCount = (p: string) => readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).length;
const VPC_V5 = VPC_FIELDS.slice(0, 29).map((f) => f.name).join(' ');
const VPC_ECS = VPC_FIELDS.slice(0, 39).map((f) => f.name).join(' ');
const VPC_V8 = VPC_FIELDS.slice(0, 40).map((f) => f.name).join(' ');

/** [file under fixtures, --format or undefined, records, quarantined, kind] */
const CASES: [string, string | undefined, number, number, string][] = [
  ['aws-docs-vpc-flow-log-examples/01-accepted-rejected.default-v2.log', undefined, 2, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/02-nodata-skipdata.default-v2.log', undefined, 2, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/03-security-group-vs-nacl.default-v2.log', undefined, 2, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/04-ipv6.default-v2.log', undefined, 1, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/05-tcp-flag-sequence.log', fmt('aws-docs-vpc-flow-log-examples', '05-tcp-flag-sequence'), 8, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/06-nat-gateway.log', fmt('aws-docs-vpc-flow-log-examples', '06-nat-gateway'), 4, 2, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/07-transit-gateway-eni.log', fmt('aws-docs-vpc-flow-log-examples', '07-transit-gateway-eni'), 4, 0, 'vpc_flows'],
  ['aws-docs-vpc-flow-log-examples/08-traffic-path-v5.log', fmt('aws-docs-vpc-flow-log-examples', '08-traffic-path-v5'), 2, 0, 'vpc_flows'],
  ['vectordotdev-vrl/01-default-v2.log', fmt('vectordotdev-vrl', '01-default-v2'), 7, 0, 'vpc_flows'],
  ['vectordotdev-vrl/02-tcp-flag-sequence-v3.log', fmt('vectordotdev-vrl', '02-tcp-flag-sequence-v3'), 8, 0, 'vpc_flows'],
  ['vectordotdev-vrl/03-nat-gateway.log', fmt('vectordotdev-vrl', '03-nat-gateway'), 6, 0, 'vpc_flows'],
  ['vectordotdev-vrl/04-transit-gateway-eni-v3.log', fmt('vectordotdev-vrl', '04-transit-gateway-eni-v3'), 4, 0, 'vpc_flows'],
  ['vectordotdev-vrl/05-traffic-path-v5.log', fmt('vectordotdev-vrl', '05-traffic-path-v5'), 2, 0, 'vpc_flows'],
  ['vectordotdev-vrl/06-ecs-v7.log', fmt('vectordotdev-vrl', '06-ecs-v7'), 1, 0, 'vpc_flows'],
  ['vectordotdev-vrl/07-v8-to-v11.log', fmt('vectordotdev-vrl', '07-v8-to-v11'), 2, 0, 'vpc_flows'],
  ['elastic-integrations-vpcflow/test-extra-samples.log', undefined, 7, 0, 'vpc_flows'],
  ['elastic-integrations-vpcflow/test-tcp-flag-sequence.log', undefined, 3, 0, 'vpc_flows'],
  ['elastic-integrations-vpcflow/test-ecs-samples.log', VPC_ECS, 10, 0, 'vpc_flows'],
  ['elastic-integrations-vpcflow/test-v8-samples.log', VPC_V8, 1, 0, 'vpc_flows'],
  // start = 164000066 (1975): parsed, then quarantined as an impossible time.
  ['elastic-integrations-vpcflow/test-v5-all-fields.log', VPC_V5, 0, 1, 'vpc_flows'],
  ['elastic-integrations-vpcflow/test-tgw-samples.log', DEFAULT_TGW_LAYOUT.join(' '), 10, 0, 'tgw_flows'],
  ['elastic-integrations-vpcflow/test-with-message-field.log', undefined, 1, 0, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_vpc_flow_log.log', undefined, 1, 0, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_vpc_flow_log_multi.log', undefined, 2, 0, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_vpc_flow_log_ecs.log', undefined, 1, 0, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_tgw_flow_log.log', undefined, 1, 0, 'tgw_flows'],
  ['otel-collector-contrib-awslogs/vpc_flow_log_too_few_fields.log', undefined, 0, 1, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/vpc_flow_log_too_many_fields.log', undefined, 0, 1, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_vpc_flow_cw.json', undefined, 2, 0, 'vpc_flows'],
  ['otel-collector-contrib-awslogs/valid_vpc_flow_cw_custom.json', 'version interface-id srcaddr dstaddr', 2, 0, 'vpc_flows'],
  [
    'otel-collector-contrib-awslogs/valid_tgw_flow_cw.json',
    'version account-id tgw-id tgw-attachment-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type tcp-flags flow-direction region',
    1,
    0,
    'tgw_flows',
  ],
  ['real-world/lynfaina-secure-iot-cloud/vpcflowlogs.log', undefined, 214, 0, 'vpc_flows'],
  ['real-world/grafana-vpc-flow-logs-analyzer/aws-test_flow_logs.log', undefined, 6, 0, 'vpc_flows'],
];

describe('every conformance file parses', () => {
  it.each(CASES)('%s', async (file, format, records, quarantined, kind) => {
    await withCase(async (db) => {
      const s = await ingest(db, [join(FIX, file)], format ? { format } : {});
      expect(s.files[0]).toMatchObject({ outcome: 'imported', kind, records, quarantined });
    });
  });
});

describe('negative samples land in quarantine with the right reason', () => {
  it('too few / too many fields', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'otel-collector-contrib-awslogs/vpc_flow_log_too_few_fields.log'), join(FIX, 'otel-collector-contrib-awslogs/vpc_flow_log_too_many_fields.log')]);
      const q = await db.all<{ line: number; reason: string }>('SELECT line, reason FROM quarantine ORDER BY source_id');
      expect(q).toEqual([
        { line: 2, reason: 'expected 14 fields, found 13' },
        { line: 2, reason: 'expected 14 fields, found 15' },
      ]);
    });
  });

  it('trailing #comments of the AWS doc NAT example', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'aws-docs-vpc-flow-log-examples/06-nat-gateway.log')], { format: fmt('aws-docs-vpc-flow-log-examples', '06-nat-gateway') });
      const q = await db.all<{ line: number; reason: string; raw: string }>('SELECT line, reason, raw FROM quarantine ORDER BY line');
      expect(q.map((r) => r.line)).toEqual([5, 6]);
      for (const r of q) {
        expect(r.reason).toMatch(/^expected 6 fields, found \d+$/);
        expect(r.raw).toContain('#');
      }
    });
  });

  it('a start in 1975 is an impossible time', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'elastic-integrations-vpcflow/test-v5-all-fields.log')], { format: VPC_V5 });
      const q = await db.one<{ reason: string }>('SELECT reason FROM quarantine');
      expect(q!.reason).toBe('start 164000066 (1975-03-14) is before 2010: not a possible flow-log time');
    });
  });

  it('headerless lines without --format are tried as default v2 and never guessed', async () => {
    await withCase(async (db) => {
      const s = await ingest(db, [join(FIX, 'aws-docs-vpc-flow-log-examples/08-traffic-path-v5.log')]);
      expect(s.files[0]).toMatchObject({ records: 0, quarantined: 2 });
      const q = await db.all<{ reason: string }>('SELECT reason FROM quarantine');
      expect(q.map((r) => r.reason)).toEqual(['expected 14 fields, found 29', 'expected 14 fields, found 29']);
    });
  });
});

describe('values match the peers', () => {
  it('the AWS doc double-space line splits on runs of whitespace', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'aws-docs-vpc-flow-log-examples/05-tcp-flag-sequence.log')], { format: fmt('aws-docs-vpc-flow-log-examples', '05-tcp-flag-sequence') });
      const r = await db.one('SELECT srcport, dstport, pkt_srcaddr, tcp_flags FROM vpc_flows WHERE line = 8');
      expect(r).toEqual({ srcport: 5001, dstport: 43638, pkt_srcaddr: '10.0.0.62', tcp_flags: 19 });
    });
  });

  it('VRL docs-generated examples, field by field', async () => {
    const doc = JSON.parse(readFileSync(join(FIX, 'vectordotdev-vrl/docs-generated-parse_aws_vpc_flow_log.json'), 'utf8')) as {
      examples: { title: string; source: string; return: Record<string, unknown> }[];
    };
    expect(doc.examples).toHaveLength(4);
    const dir = tmp();
    for (const [i, ex] of doc.examples.entries()) {
      const strings = [...ex.source.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
      const [record, format] = strings;
      const file = join(dir, `vrl-${i}.log`);
      writeFileSync(file, `${record}\n`);
      await withCase(async (db) => {
        const s = await ingest(db, [file], format ? { format } : {});
        expect(s.files[0], ex.title).toMatchObject({ records: 1, quarantined: 0 });
        const row = (await db.one<Record<string, unknown>>('SELECT * EXCLUDE (extra), to_json(extra) AS extra FROM vpc_flows'))!;
        if (typeof row.extra === 'string') row.extra = JSON.parse(row.extra);
        for (const [key, want] of Object.entries(ex.return)) {
          const col = key === 'start' ? 'start_time' : key === 'end' ? 'end_time' : key;
          const got = col in row ? row[col] : (row.extra as Record<string, unknown> | null)?.[key.replaceAll('_', '-')];
          expect(got, `${ex.title}: ${key}`).toEqual(want);
        }
      });
    }
  });

  it('Elastic expected outputs: aws.vpcflow.* and the 5-tuple', async () => {
    const pairs: [string, string][] = [
      ['test-tcp-flag-sequence.log', ''],
      ['test-v8-samples.log', VPC_V8],
    ];
    for (const [file, format] of pairs) {
      const expected = JSON.parse(readFileSync(join(FIX, 'elastic-integrations-vpcflow', `${file}-expected.json`), 'utf8')) as { expected: Record<string, any>[] };
      await withCase(async (db) => {
        await ingest(db, [join(FIX, 'elastic-integrations-vpcflow', file)], format ? { format } : {});
        const rows = await db.all<Record<string, unknown>>('SELECT * FROM vpc_flows ORDER BY line');
        expect(rows).toHaveLength(expected.expected.length);
        rows.forEach((row, i) => {
          const e = expected.expected[i]!;
          const v = e.aws.vpcflow as Record<string, unknown>;
          let compared = 0;
          for (const [key, want] of Object.entries(v)) {
            if (typeof want === 'object') continue;
            const col = key === 'tcp_flags' ? 'tcp_flags' : key;
            if (!(col in row)) continue;
            expect(String(row[col]), `${file} #${i} ${key}`).toBe(String(want));
            compared++;
          }
          expect(compared).toBeGreaterThan(2);
          if (e.source?.ip) expect(row.srcaddr).toBe(e.source.ip);
          if (e.source?.port !== undefined) expect(row.srcport).toBe(e.source.port);
          if (e.destination?.ip) expect(row.dstaddr).toBe(e.destination.ip);
          if (e.destination?.port !== undefined) expect(row.dstport).toBe(e.destination.port);
          if (e.source?.bytes !== undefined) expect(row.bytes).toBe(e.source.bytes);
          if (e.event?.start) expect(new Date(Number(row.start_time) * 1000).toISOString()).toBe(e.event.start);
        });
      });
    }
  });

  it('Elastic v5 all-fields sample splits as Elastic does (checked on the quarantined line)', async () => {
    const expected = JSON.parse(readFileSync(join(FIX, 'elastic-integrations-vpcflow/test-v5-all-fields.log-expected.json'), 'utf8')) as { expected: Record<string, any>[] };
    const v = expected.expected[0]!.aws.vpcflow as Record<string, unknown>;
    const raw = readFileSync(join(FIX, 'elastic-integrations-vpcflow/test-v5-all-fields.log'), 'utf8').trim();
    const fields = raw.split(/\s+/);
    const names = VPC_V5.split(' ');
    for (const [key, want] of Object.entries(v)) {
      if (typeof want === 'object') continue;
      const idx = names.indexOf(key.replaceAll('_', '-'));
      if (idx >= 0) expect(fields[idx], key).toBe(String(want));
    }
    expect(v.traffic_path).toBe('1');
    expect(v.pkt_src_service ?? v.pkt_src_aws_service).toBe('AMAZON');
  });

  it('account IDs keep leading zeros; unknown fields go to extra', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'elastic-integrations-vpcflow/test-ecs-samples.log')], { format: VPC_ECS });
      const r = await db.one<{ account_id: string; ecs_service_name: string; flow_direction: string }>('SELECT account_id, ecs_service_name, flow_direction FROM vpc_flows WHERE line = 1');
      expect(r).toEqual({ account_id: '000000000000', ecs_service_name: 'payments-service', flow_direction: 'ingress' });
      await ingest(db, [join(FIX, 'vectordotdev-vrl/07-v8-to-v11.log')], { format: fmt('vectordotdev-vrl', '07-v8-to-v11') });
      const x = await db.one<{ extra: string; reject_reason: string; encryption_status: number }>(
        "SELECT to_json(extra)::VARCHAR AS extra, reject_reason, encryption_status FROM vpc_flows WHERE source_id = 2 AND line = 1",
      );
      expect(x!.reject_reason).toBe('BPA');
      expect(JSON.parse(x!.extra)['interface-type']).toBe('nat_gateway');
      expect(Object.keys(JSON.parse(x!.extra))).toEqual(['instance-tag', 'instance-tag-2', 'interface-tag', 'interface-tag-2', 'asg-tag', 'asg-tag-2', 'interface-type', 'next-hop-interface-id', 'next-hop-subnet-id', 'next-hop-az-id', 'next-hop-vpc-id', 'next-hop-interface-type']);
    });
  });

  it('TGW v6 fields: attachment, pair attachment and packets-lost counters', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'otel-collector-contrib-awslogs/valid_tgw_flow_log.log')]);
      const r = await db.one('SELECT tgw_attachment_id, tgw_pair_attachment_id, packets_lost_no_route, packets_lost_blackhole, packets_lost_mtu_exceeded, packets_lost_ttl_expired FROM tgw_flows');
      const header = readFileSync(join(FIX, 'otel-collector-contrib-awslogs/valid_tgw_flow_log.log'), 'utf8').split('\n');
      const names = header[0]!.split(' ');
      const vals = header[1]!.trim().split(' ');
      const at = (n: string) => vals[names.indexOf(n)];
      expect(r).toEqual({
        tgw_attachment_id: at('tgw-attachment-id'),
        tgw_pair_attachment_id: at('tgw-pair-attachment-id'),
        packets_lost_no_route: Number(at('packets-lost-no-route')),
        packets_lost_blackhole: Number(at('packets-lost-blackhole')),
        packets_lost_mtu_exceeded: Number(at('packets-lost-mtu-exceeded')),
        packets_lost_ttl_expired: Number(at('packets-lost-ttl-expired')),
      });
      expect([r!.packets_lost_no_route, r!.packets_lost_blackhole, r!.packets_lost_mtu_exceeded, r!.packets_lost_ttl_expired]).toEqual([1, 2, 3, 4]);
    });
  });

  it('repeated header lines mid-stream are counted as headers', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'elastic-integrations-vpcflow/test-tcp-flag-sequence.log')]);
      const [s] = await sources(db);
      expect(s).toMatchObject({ lines_read: 6, header_lines: 3, records: 3, format: 's3-text' });
      expect(lineCount(join(FIX, 'elastic-integrations-vpcflow/test-tcp-flag-sequence.log'))).toBe(6);
    });
  });

  it('CloudWatch subscription payload: event timestamp and log stream are kept', async () => {
    await withCase(async (db) => {
      await ingest(db, [join(FIX, 'otel-collector-contrib-awslogs/valid_vpc_flow_cw.json')]);
      const payload = JSON.parse(readFileSync(join(FIX, 'otel-collector-contrib-awslogs/valid_vpc_flow_cw.json'), 'utf8'));
      const rows = await db.all<{ line: number; log_stream: string; event_ts: string }>('SELECT line, log_stream, event_ts FROM vpc_flows ORDER BY line');
      expect(rows.map((r) => r.line)).toEqual([1, 2]);
      rows.forEach((r, i) => {
        expect(r.log_stream).toBe(payload.logStream);
        expect(r.event_ts).toBe(new Date(payload.logEvents[i].timestamp).toISOString());
      });
    });
  });
});
