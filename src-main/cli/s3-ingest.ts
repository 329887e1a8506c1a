/** The S3 half of `tunnelscope ingest`: arguments and progress lines for s3:// locations. */
import type { Db } from '../engine/db/index.ts';
import { importFromS3, type S3ImportSummary } from '../engine/s3/import.ts';
import type { IngestOptions, IngestProgress } from '../shared/domain.ts';
import { AppError } from '../shared/result.ts';
import { parseCliTime } from './time.ts';

export const s3Flags = {
  since: { type: 'string' },
  until: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'path-style': { type: 'boolean' },
  concurrency: { type: 'string' },
} as const;

export const S3_USAGE = `S3 locations (s3://bucket/prefix) fetch only the objects of a time window, then work offline:
  --since TIME --until TIME   the incident window (ISO 8601, UTC); required for s3:// locations
  --profile P --region R      AWS profile and region (standard credential chain otherwise)
  --endpoint-url URL          an S3-compatible store; --path-style for path-style addressing
  --concurrency N             parallel downloads (default 8)
Running the same command again fetches only what is missing.`;

export interface S3FlagValues {
  since?: string;
  until?: string;
  profile?: string;
  region?: string;
  'endpoint-url'?: string;
  'path-style'?: boolean;
  concurrency?: string;
}

export async function ingestFromS3(db: Db, uris: string[], v: S3FlagValues, options: IngestOptions, signal: AbortSignal, onIngestProgress: (p: IngestProgress) => void): Promise<S3ImportSummary> {
  if (!v.since || !v.until) throw new AppError('bad-argument', 'Importing from S3 needs the incident window: add --since TIME and --until TIME.');
  const concurrency = v.concurrency ? Number(v.concurrency) : undefined;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
    throw new AppError('bad-argument', '--concurrency must be a whole number from 1 to 64.');
  }
  let lastLine = 0;
  return importFromS3(
    db,
    {
      uris,
      since: parseCliTime(v.since, '--since'),
      until: parseCliTime(v.until, '--until'),
      profile: v.profile,
      region: v.region,
      endpointUrl: v['endpoint-url'],
      forcePathStyle: v['path-style'],
      concurrency,
      ingest: options,
    },
    {
      signal,
      onPlan: (p) =>
        process.stderr.write(
          `S3: ${p.objects} objects (${formatBytes(p.bytes)}) to fetch for the window; ${p.alreadyInCase} already in the case, ${p.outOfWindow} outside the window.\n`,
        ),
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastLine < 500 && p.objectsDone < p.objectsTotal) return;
        lastLine = now;
        const eta = p.etaSeconds === null ? '' : `, about ${Math.ceil(p.etaSeconds)}s left`;
        process.stderr.write(`S3: ${p.objectsDone}/${p.objectsTotal} objects, ${formatBytes(p.bytesDone)} at ${formatBytes(p.bytesPerSecond)}/s${eta}${p.failed ? `, ${p.failed} failed` : ''}\n`);
      },
      onIngestProgress,
    },
  );
}

export function s3FailureLines(s: S3ImportSummary): string {
  if (s.failed.length === 0) return '';
  return ['Objects that could not be fetched:', ...s.failed.map((f) => `  ${f.uri}: ${f.reason}`)].join('\n') + '\n';
}

function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}
