/**
 * Flow-log deliveries: S3 text (plain and Hive prefixes, optional hourly partition), CloudWatch Logs
 * export task, CloudWatch Logs filter-log-events JSON, and TGW flow logs in S3.
 */
import { Rng, hash32 } from './prng.ts';
import { Out, pad, isoMs, cliJson } from './out.ts';
import { formatLine, type Rec } from './records.ts';
import {
  ACCOUNT, REGION, FLOW_LOGS, TGW_FLOW_LOG_ID, TGW_DEFAULT_FIELDS, TGW_CUSTOM_FIELDS, versionOf, eni, type FlowLogDef,
} from './topology.ts';

/** S3 key prefix for a 5-minute bucket (start of the bucket, in seconds). */
export function s3Prefix(bucket: number, hive: boolean, hourly: boolean): string {
  const d = new Date(bucket * 1000);
  const [y, m, day, h] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours())];
  if (hive) {
    return `AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=${REGION}/year=${y}/month=${m}/day=${day}/${hourly ? `hour=${h}/` : ''}`;
  }
  return `AWSLogs/${ACCOUNT}/vpcflowlogs/${REGION}/${y}/${m}/${day}/${hourly ? `${h}/` : ''}`;
}

export function s3FileName(flowLogId: string, bucket: number, seed: number): string {
  const d = new Date(bucket * 1000);
  const stamp = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
  const h = (hash32(`${flowLogId}|${bucket}|${seed}`) >>> 0).toString(16).padStart(8, '0');
  return `${ACCOUNT}_vpcflowlogs_${REGION}_${flowLogId}_${stamp}_${h}.log.gz`;
}

/** Group by END time into 5-minute files, each with a header line. */
function writeS3(out: Out, base: string, recs: Rec[], fields: string[], flowLogId: string, opts: { hive: boolean; hourly: boolean; seed: number; kind: 'vpc_flows' | 'tgw_flows' }): void {
  const version = versionOf(fields);
  const byBucket = new Map<number, string[]>();
  for (const r of recs) {
    const b = Math.floor(Number(r.end) / 300) * 300;
    let l = byBucket.get(b);
    if (!l) byBucket.set(b, (l = []));
    l.push(formatLine(r, fields, version));
  }
  for (const b of [...byBucket.keys()].sort((x, y) => x - y)) {
    const lines = byBucket.get(b)!;
    const rel = `${base}${s3Prefix(b, opts.hive, opts.hourly)}${s3FileName(flowLogId, b, opts.seed)}`;
    out.write(rel, [fields.join(' '), ...lines].join('\n') + '\n', { kind: opts.kind, format: opts.hive ? 's3-hive' : 's3-text', records: lines.length }, true);
  }
}

export interface FlowWriteOptions {
  seed: number;
  tgwLayout: 'default' | 'custom';
  /** Where each VPC flow log goes; defaults to the topology's choice. */
  delivery?: Partial<Record<keyof typeof FLOW_LOGS, FlowLogDef['delivery']>>;
}

export function writeFlowLogs(out: Out, vpc: Map<string, Rec[]>, tgw: Rec[], opts: FlowWriteOptions): void {
  const rng = new Rng(opts.seed ^ 0x5eed);
  const taskId = `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`;
  let exportWritten = false;
  for (const [name, def0] of Object.entries(FLOW_LOGS) as [keyof typeof FLOW_LOGS, FlowLogDef][]) {
    const def = { ...def0, delivery: opts.delivery?.[name] ?? def0.delivery };
    const recs = def.enis.flatMap((e) => vpc.get(e) ?? []).sort((a, b) => Number(a.end) - Number(b.end) || Number(a.start) - Number(b.start));
    const version = versionOf(def.fields);
    switch (def.delivery) {
      case 's3':
      case 's3-hive':
        writeS3(out, 's3/', recs, def.fields, def.id, { hive: def.delivery === 's3-hive', hourly: def.hourly ?? false, seed: opts.seed, kind: 'vpc_flows' });
        break;
      case 'cwl-export':
        for (const e of def.enis) {
          const lines = (vpc.get(e) ?? []).map((r) => `${isoMs(Number(r.start) * 1000)} ${formatLine(r, def.fields, version)}`);
          // Export chunks are not in time order; AWS writes roughly by ingestion, we shuffle lightly.
          lightShuffle(lines, rng);
          for (let i = 0, c = 0; i < lines.length || c === 0; i += 50_000, c++) {
            const part = lines.slice(i, i + 50_000);
            out.write(`cwl-export/${taskId}/${eni(e).id}-all/${String(c).padStart(6, '0')}.gz`, part.join('\n') + '\n', { kind: 'vpc_flows', format: 'cwl-export', records: part.length }, true);
          }
          exportWritten = true;
        }
        break;
      case 'cwl-json':
        for (const e of def.enis) {
          const events = (vpc.get(e) ?? []).map((r) => ({
            logStreamName: `${eni(e).id}-all`,
            timestamp: Number(r.start) * 1000,
            message: formatLine(r, def.fields, version),
            ingestionTime: Number(r.end) * 1000 + rng.int(180_000, 600_000),
            eventId: eventId(rng),
          }));
          out.write(`cwl/filter-log-events-${eni(e).id}.json`, pages(events, 1000, rng), { kind: 'vpc_flows', format: 'cwl-json', records: events.length });
        }
        break;
    }
  }
  if (exportWritten) out.write('cwl-export/aws-logs-write-test', 'Permission Check Successful', { kind: 'other', format: 'marker', records: 0 });
  const tgwFields = opts.tgwLayout === 'custom' ? TGW_CUSTOM_FIELDS : TGW_DEFAULT_FIELDS;
  const tgwSorted = [...tgw].sort((a, b) => Number(a.end) - Number(b.end) || Number(a.start) - Number(b.start));
  writeS3(out, 's3/', tgwSorted, tgwFields, TGW_FLOW_LOG_ID, { hive: false, hourly: false, seed: opts.seed, kind: 'tgw_flows' });
}

function lightShuffle<T>(xs: T[], rng: Rng): void {
  for (let i = 0; i < xs.length - 1; i++) if (rng.chance(0.1)) [xs[i], xs[i + 1]] = [xs[i + 1]!, xs[i]!];
}

export function eventId(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 56; i++) s += String(rng.int(0, 9));
  return s;
}

/**
 * `aws logs filter-log-events` output. Several pages (each its own JSON document, as users paste
 * them one after another) when there are more events than `pageSize`.
 */
export function pages(events: object[], pageSize: number, rng: Rng, floatKeys?: ReadonlySet<string>): string {
  if (events.length <= pageSize) return cliJson({ events, searchedLogStreams: [] }, floatKeys);
  let s = '';
  for (let i = 0; i < events.length; i += pageSize) {
    const last = i + pageSize >= events.length;
    const doc: Record<string, unknown> = { events: events.slice(i, i + pageSize), searchedLogStreams: [] };
    if (!last) doc.nextToken = `Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCr${rng.hex(24)}`;
    s += cliJson(doc, floatKeys);
  }
  return s;
}
