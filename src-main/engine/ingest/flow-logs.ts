/**
 * Flow-log definitions from `aws ec2 describe-flow-logs` (in the case as config_objects of kind
 * 'flow_log', or among the files of the running import) give the layout of headerless CloudWatch
 * Logs flow records: a CloudWatch container whose log group matches a flow log's LogGroupName uses
 * that LogFormat; otherwise, when exactly one CloudWatch-delivered flow log has a non-default
 * format, that one. An explicit --format always wins (the caller checks it first).
 */
import { open, readFile } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';
import type { Db } from '../db/index.ts';
import { isGzip } from './detect.ts';
import { DEFAULT_VPC_LAYOUT, parseFieldList } from './fields.ts';
import type { Detection, Sample } from './types.ts';

export interface FlowLogDef {
  id: string | null;
  format: string | null;
  destinationType: string | null;
  logGroup: string | null;
}

/** Containers whose flow records carry no header. */
const CLOUDWATCH_FORMATS = new Set(['cwl-export', 'cwl-events', 'cwl-subscription', 'json-message']);

const FLOW_LOGS_KEY = /^\s*\{[\s\S]*"FlowLogs"\s*:/;

function toDef(o: unknown): FlowLogDef | null {
  if (!o || typeof o !== 'object') return null;
  const r = o as Record<string, unknown>;
  const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null);
  return { id: s('FlowLogId'), format: s('LogFormat'), destinationType: s('LogDestinationType'), logGroup: s('LogGroupName') };
}

/** Flow logs in describe-flow-logs output (one document, or several pasted one after another). */
export function flowLogsFromText(text: string): FlowLogDef[] {
  let docs: unknown[];
  try {
    docs = [JSON.parse(text)];
  } catch {
    try {
      docs = JSON.parse('[' + text.trim().replace(/\}[ \t\r]*\n\s*\{/g, '},{') + ']') as unknown[];
    } catch {
      return [];
    }
  }
  const out: FlowLogDef[] = [];
  for (const d of docs) {
    const list = d && typeof d === 'object' ? (d as Record<string, unknown>).FlowLogs : null;
    if (Array.isArray(list)) for (const o of list) {
      const def = toDef(o);
      if (def) out.push(def);
    }
  }
  return out;
}

export async function flowLogsInCase(db: Db): Promise<FlowLogDef[]> {
  const rows = await db.all<{ data: string }>("SELECT data::VARCHAR AS data FROM config_objects WHERE kind = 'flow_log' ORDER BY source_id");
  return rows.map((r) => {
    try {
      return toDef(JSON.parse(r.data));
    } catch {
      return null;
    }
  }).filter((d): d is FlowLogDef => d !== null);
}

/** Is this file describe-flow-logs output? Reads only its first few KB. */
export async function isDescribeFlowLogs(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  try {
    const b = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(b, 0, b.length, 0);
    buf = b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  return FLOW_LOGS_KEY.test(buf.subarray(0, 8192).toString('utf8'));
}

export async function readFlowLogsFile(path: string): Promise<FlowLogDef[]> {
  let buf = await readFile(path);
  if (isGzip(buf)) {
    try {
      buf = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return [];
    }
  }
  return flowLogsFromText(buf.toString('utf8'));
}

const DEFAULT_LAYOUT = DEFAULT_VPC_LAYOUT.join(' ');

/**
 * The LogFormat to read this file's headerless records with, or null (default layout).
 * `flowLogs` are every flow log known to the case and to this import.
 */
export function cloudWatchLayout(flowLogs: FlowLogDef[], detection: Detection, sample: Sample): string | null {
  if (!CLOUDWATCH_FORMATS.has(detection.format)) return null;
  const byId = new Map<string, FlowLogDef>();
  for (const f of flowLogs) {
    if (f.destinationType !== 'cloud-watch-logs' || !f.format || !parseFieldList(f.format)) continue;
    byId.set(f.id ?? `${f.logGroup}|${f.format}`, f);
  }
  const cwl = [...byId.values()];
  if (cwl.length === 0) return null;
  // The log group: a subscription payload names it; an exported or saved file may be named after it.
  const group = /"logGroup"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(sample.head)?.[1] ?? null;
  const path = sample.displayPath;
  const byGroup = cwl.filter((f) => f.logGroup && (f.logGroup === group || pathNames(path, f.logGroup)));
  const groupFormats = new Set(byGroup.map((f) => f.format!));
  if (groupFormats.size === 1) return [...groupFormats][0]!;
  if (group !== null && cwl.some((f) => f.logGroup === group)) return null;
  const custom = cwl.filter((f) => parseFieldList(f.format!)!.join(' ') !== DEFAULT_LAYOUT);
  return custom.length === 1 ? custom[0]!.format : null;
}

/** The path names the log group (as given, or with '/' turned into '_' or '-' as people save it). */
function pathNames(path: string, group: string): boolean {
  const g = group.replace(/^\/+/, '');
  if (g.length < 3) return false;
  return [g, g.replaceAll('/', '_'), g.replaceAll('/', '-')].some((v) => path.includes(v));
}
