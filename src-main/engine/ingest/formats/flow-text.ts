/**
 * Flow logs as text lines: S3 delivery (header line, plain or .gz, headers repeated where files
 * were concatenated), CloudWatch Logs export-task files (ISO timestamp before each record) and
 * headerless record lines (layout from --format, else the default v2 layout).
 */
import { basename, dirname } from 'node:path';
import {
  DEFAULT_VPC_LAYOUT,
  kindOfLayout,
  parseFieldList,
  parseUserFormat,
  type FlowKind,
} from '../fields.ts';
import { flowHandler, typeFlows, type Segment, type StagedFlows } from '../flow-load.ts';
import { dropStaged, INVALID_TEXT, RAW_TABLE, stageLines } from '../lines.ts';
import type { Detection, FormatHandler, LoadContext, Sample } from '../types.ts';

const ISO_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)\s+\S/;
const FLOWISH = /\b(eni-[0-9a-f]+|tgw-[0-9a-z-]+|ACCEPT|REJECT|NODATA|SKIPDATA)\b/;
const IP = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|[0-9a-f]{1,4}::?[0-9a-f]{1,4}:/i;

/** Does this look like one flow record (space-separated tokens, no CSV/JSON punctuation)? */
export function looksLikeRecord(line: string): boolean {
  if (/[,{}"]/.test(line)) return false;
  const tokens = line.trim().split(/\s+/);
  if (tokens.length < 3) return false;
  return FLOWISH.test(line) || (IP.test(line) && /^\S+( \S+)+$/.test(line.trim()));
}

export function detectFlowText(sample: Sample): Detection | null {
  const first = sample.firstLine;
  if (!first || first.includes('\u0000')) return null;
  const header = parseFieldList(first);
  if (header && !first.includes(',')) {
    return { kind: kindOfLayout(header), format: 's3-text', confidence: 0.95, hints: { fields: header } };
  }
  if (ISO_PREFIX.test(first) && looksLikeRecord(first.replace(/^\S+\s+/, ''))) {
    return { kind: 'vpc_flows', format: 'cwl-export', confidence: 0.9 };
  }
  if (looksLikeRecord(first)) return { kind: 'vpc_flows', format: 'text', confidence: 0.5 };
  return null;
}

/** CloudWatch export tasks write <task>/<stream>/000000(.gz); a flattened copy is <stream>.000000. */
export function streamFromPath(displayPath: string): string | null {
  const name = basename(displayPath).replace(/\.gz$/, '');
  if (/^\d{6}$/.test(name)) return basename(dirname(displayPath)) || null;
  const m = /^(.+)\.\d{6}$/.exec(name);
  return m ? m[1]! : null;
}

async function parse(ctx: LoadContext): Promise<StagedFlows> {
  const { conn, detection } = ctx;
  const newline = /\r\n/.test(ctx.sample.head.slice(0, 4096)) ? '\r\n' : '\n';
  const staged = await stageLines(conn, ctx.localPath, newline);
  ctx.progress(0, 0);

  const userLayout = ctx.options.format ? parseUserFormat(ctx.options.format) : null;
  const tsPrefix = detection.format === 'cwl-export';
  // Header candidates: lines of plain lowercase names. Records rarely start with a letter and
  // never consist of names only; the JS check below settles each distinct candidate.
  const candidates = tsPrefix
    ? []
    : await conn.all<{ t: string }>(
        `SELECT DISTINCT t FROM ${RAW_TABLE} WHERE (t[1] BETWEEN 'a' AND 'z' OR t[1] = '$')
           AND regexp_full_match(t, '[a-z\${}_-][a-z0-9\${}_ \\t\\r-]*') LIMIT 1000`,
      );
  const headers = candidates.map((c) => c.t).filter((t) => parseFieldList(t) !== null);
  const base = userLayout ?? (detection.hints?.fields as string[] | undefined) ?? DEFAULT_VPC_LAYOUT;

  const segments: Segment[] = [];
  if (headers.length === 0) {
    segments.push({ lo: null, hi: null, names: base });
  } else {
    const at = await conn.all<{ line: number; t: string }>(
      `SELECT line, t FROM ${staged.src} WHERE t IN (SELECT unnest(string_split($h, chr(10)))) ORDER BY line`,
      { h: headers.join('\n') },
    );
    if (at.length > 0 && at[0]!.line > 1) segments.push({ lo: 1, hi: at[0]!.line - 1, names: base });
    at.forEach((h, i) => {
      const names = parseFieldList(h.t)!;
      segments.push({ lo: h.line, hi: i + 1 < at.length ? at[i + 1]!.line - 1 : staged.lines, names });
    });
  }
  const kind: FlowKind = kindOfLayout(segments[0]!.names);
  const stream = tsPrefix ? streamFromPath(ctx.displayPath) : null;
  const columns = await typeFlows(ctx, {
    kind,
    src: `(SELECT line, t, NULL::TIMESTAMPTZ AS ev_ts, $stream::VARCHAR AS stream, CASE WHEN invalid THEN '${INVALID_TEXT}' END AS pre_reason, NULL::VARCHAR AS raw, false AS meta FROM ${staged.src})`,
    params: { stream },
    segments,
    headers,
    tsPrefix,
    latin1: false,
  });
  await dropStaged(conn);
  const layouts = [...new Set(segments.map((s) => s.names.join(' ')))];
  return { kind, columns, fields: layouts.join(' | ') };
}

export const flowTextHandler: FormatHandler = flowHandler('flow-text', detectFlowText, parse);
