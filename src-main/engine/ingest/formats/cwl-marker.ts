/**
 * The object a CloudWatch Logs export task writes first to test bucket permissions
 * (`aws-logs-write-test`, text "Permission Check Successful"). Not a log: its lines are counted as
 * skipped (blank) lines of an 'unknown' source, never quarantined.
 */
import { basename } from 'node:path';
import type { Detection, FormatHandler, LoadContext, LoadResult, Sample } from '../types.ts';

export const MARKER_NAME = 'aws-logs-write-test';

export function detectCwlMarker(sample: Sample): Detection | null {
  const name = basename(sample.displayPath.replace(/[?#].*$/, '')).replace(/\.gz$/, '');
  if (name !== MARKER_NAME || sample.head.length > 1024 || /[{}\u0000]/.test(sample.head)) return null;
  return { kind: 'unknown', format: 'cwl-export-marker', confidence: 1 };
}

async function load(ctx: LoadContext): Promise<LoadResult> {
  const lines = ctx.sample.head.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return {
    kind: 'unknown',
    linesRead: lines.length,
    records: 0,
    headerLines: 0,
    blankLines: lines.length,
    overlapRecords: 0,
    quarantined: 0,
    timeMin: null,
    timeMax: null,
    status: 'complete',
    message: 'CloudWatch Logs export-task marker object (permission check), not a log: skipped',
  };
}

export const cwlMarkerHandler: FormatHandler = { name: 'cwl-export-marker', detect: detectCwlMarker, load };
