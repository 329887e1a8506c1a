import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Db } from '../../engine/db/index.ts';
import { mergeSummaries } from '../../engine/ingest/merge.ts';
import { ingestPaths } from '../../engine/ingest/service.ts';
import type { IngestOptions, IngestProgress, IngestSummary } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';
import { ingestFromS3, s3FailureLines, s3Flags, S3_USAGE } from '../s3-ingest.ts';
import { isS3Uri } from '../../engine/s3/uri.ts';

const USAGE = `usage: tunnelscope ingest <path…> --case <file.tscope> [--format '\${version} \${account-id} …'] [--attribute SERIES=VPN_ID/TUNNEL_IP …] [--json]

Imports files and folders (walked recursively, .gz anywhere) into the case file, creating it if needed.
  --case FILE        the investigation file to create or add to
  --format STR       field list for flow-log lines without a header (CloudWatch exports, --format '\${version} \${vpc-id} …')
  --attribute S=V/T  tie the unattributed metric series S to VPN connection V, tunnel outside IP T (repeatable)
  --json             print the summary as JSON (per source kind: records, quarantined, duplicates, time range)
Progress goes to stderr. Exit status: 0 ok, 1 completed with quarantined lines (or S3 objects that
could not be fetched), 2 usage, 3 failed, 130 cancelled.

${S3_USAGE}`;

export function parseAttribute(v: string): { series: string; vpnId: string; tunnelIp: string } {
  const m = /^(.+)=(vpn-[0-9a-zA-Z]+)\/(\d{1,3}(?:\.\d{1,3}){3})$/.exec(v.trim());
  if (!m) throw new AppError('bad-argument', `--attribute '${v}' is not SERIES=VPN_ID/TUNNEL_IP (for example m1=vpn-0abc123/203.0.113.10).`);
  return { series: m[1]!, vpnId: m[2]!, tunnelIp: m[3]! };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      case: { type: 'string', short: 'c' },
      format: { type: 'string' },
      attribute: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...s3Flags,
    },
  });
}

export const command: Command = {
  summary: 'import flow logs, metrics, VPN/BGP logs and configuration into a case file',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (!values.case) throw new AppError('bad-argument', "Say which case file to write with --case <file.tscope>.");
    if (positionals.length === 0) throw new AppError('bad-argument', 'Give at least one file or folder to import.');
    const s3Uris = positionals.filter(isS3Uri);
    const localPaths = positionals.filter((p) => !isS3Uri(p));
    for (const p of localPaths) if (!existsSync(p)) throw new AppError('not-found', `${p} does not exist.`);
    if (s3Uris.length && (!values.since || !values.until)) throw new AppError('bad-argument', 'Importing from S3 needs the incident window: add --since TIME and --until TIME.');
    const options: IngestOptions = {};
    if (values.format) options.format = values.format;
    if (values.attribute?.length) options.attribute = values.attribute.map(parseAttribute);

    const db = await Db.open(values.case);
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let summary: IngestSummary = emptySummary();
    let s3Failures = '';
    try {
      if (localPaths.length) summary = await ingestPaths(db, localPaths, options, { signal: controller.signal, onProgress: progressPrinter() });
      if (s3Uris.length && !controller.signal.aborted) {
        const s3 = await ingestFromS3(db, s3Uris, values, options, controller.signal, progressPrinter());
        if (s3.ingest) summary = mergeSummaries([summary, s3.ingest])!;
        summary = { ...summary, cancelled: summary.cancelled || s3.cancelled };
        summary.files.push(...s3.failed.map((f) => ({ path: f.uri, kind: 'unknown' as const, outcome: 'failed' as const, records: 0, quarantined: 0, message: f.reason })));
        s3Failures = s3FailureLines(s3);
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
      await db.close();
    }
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    process.stdout.write(values.json ? JSON.stringify(jsonSummary(summary), null, 2) + '\n' : textSummary(summary));
    if (summary.cancelled) {
      process.stderr.write('tunnelscope ingest: cancelled; the case holds every file finished before the cancel.\n');
      return EXIT.cancelled;
    }
    if (s3Failures) {
      process.stderr.write(s3Failures + 'Run the same command again to retry them; objects already imported are not fetched twice.\n');
      return EXIT.quarantined;
    }
    if (summary.quarantined > 0) {
      process.stderr.write(`tunnelscope ingest: completed with ${summary.quarantined} quarantined lines (see 'tunnelscope query ${values.case} "SELECT * FROM quarantine"').\n`);
      return EXIT.quarantined;
    }
    return EXIT.ok;
  },
};

/** At most two progress lines a second; on a terminal, one line rewritten in place. */
function progressPrinter(): (p: IngestProgress) => void {
  let last = 0;
  let highest = 0; // two files are read at once; show the furthest one
  return (p) => {
    highest = Math.max(highest, p.fileIndex);
    const now = Date.now();
    if (p.phase !== 'done' && now - last < 500) return;
    last = now;
    if (p.phase === 'done') return;
    const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytesDone) / p.bytesTotal) : 100;
    const eta = p.etaSeconds === null ? '' : `, about ${p.etaSeconds}s left`;
    const line = `file ${highest + 1}/${p.fileCount} ${pct}% ${p.records} records, ${p.quarantined} quarantined${eta}`;
    process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  };
}

function jsonSummary(s: IngestSummary) {
  return {
    cancelled: s.cancelled,
    records: s.records,
    quarantined: s.quarantined,
    duplicates: s.duplicates,
    timeMin: s.timeMin,
    timeMax: s.timeMax,
    byKind: s.byKind,
    files: s.files,
  };
}

function textSummary(s: IngestSummary): string {
  const out: string[] = [];
  for (const f of s.files) {
    if (f.outcome === 'imported' && f.quarantined === 0 && !f.message) continue;
    const what = f.outcome === 'imported' ? `${f.records} records, ${f.quarantined} quarantined` : f.outcome;
    out.push(`  ${f.path}: ${what}${f.message ? ` (${f.message})` : ''}`);
  }
  if (out.length) out.unshift('Files needing attention:');
  out.push(`Imported ${s.files.filter((f) => f.outcome === 'imported').length} of ${s.files.length} files: ${s.records} records, ${s.quarantined} quarantined, ${s.duplicates} duplicate files skipped.`);
  for (const [kind, k] of Object.entries(s.byKind)) {
    out.push(`  ${kind.padEnd(15)} ${String(k!.files).padStart(5)} files ${String(k!.records).padStart(10)} records ${String(k!.quarantined).padStart(7)} quarantined ${k!.duplicates} duplicates  ${k!.timeMin ?? '-'} .. ${k!.timeMax ?? '-'}`);
  }
  return out.join('\n') + '\n';
}

function emptySummary(): IngestSummary {
  return { jobId: '', cancelled: false, files: [], byKind: {}, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
}
