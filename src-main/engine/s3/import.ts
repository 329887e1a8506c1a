/**
 * `tunnelscope ingest s3://…`: plan the window, report what will be fetched, download with bounded
 * concurrency and feed each finished object to the ingest service as it lands. Objects already in
 * the case (same URI and ETag) are not fetched again, so re-running the same command resumes.
 * A failure on one object is recorded with its key and never stops the others.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/index.ts';
import type { IngestOptions, IngestProgress, IngestSummary } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { mergeSummaries } from '../ingest/merge.ts';
import { ingestInputs } from '../ingest/service.ts';
import { makeS3Client, type S3ClientOptions } from './client.ts';
import { downloadObject } from './download.ts';
import { planWindow, type PlannedObject } from './plan.ts';
import { parseS3Uri } from './uri.ts';

export interface S3ImportRequest extends S3ClientOptions {
  uris: string[];
  since: Date;
  until: Date;
  concurrency?: number;
  ingest?: IngestOptions;
  retries?: number;
  retryBaseMs?: number;
}

export interface S3PlanReport {
  objects: number;
  bytes: number;
  alreadyInCase: number;
  outOfWindow: number;
}

export interface S3Progress {
  objectsDone: number;
  objectsTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  etaSeconds: number | null;
  failed: number;
}

export interface S3ImportSummary {
  plan: S3PlanReport;
  fetched: number;
  bytes: number;
  failed: { uri: string; reason: string }[];
  retries: number;
  ingest: IngestSummary | null;
  cancelled: boolean;
}

export interface S3Hooks {
  signal?: AbortSignal;
  onPlan?: (p: S3PlanReport) => void;
  onProgress?: (p: S3Progress) => void;
  onIngestProgress?: (p: IngestProgress) => void;
}

export async function importFromS3(db: Db, req: S3ImportRequest, hooks: S3Hooks = {}): Promise<S3ImportSummary> {
  if (!(req.since < req.until)) throw new AppError('bad-argument', '--since must be before --until.');
  const client = makeS3Client(req);
  const window = { since: req.since.getTime(), until: req.until.getTime() };
  const signal = hooks.signal;

  const planned: PlannedObject[] = [];
  let outOfWindow = 0;
  for (const uri of req.uris) {
    const { bucket, prefix } = parseS3Uri(uri);
    try {
      const p = await planWindow(client, bucket, prefix, window, signal);
      planned.push(...p.objects);
      outOfWindow += p.outOfWindow;
    } catch (e) {
      if (signal?.aborted) throw new AppError('cancelled', 'The S3 import was cancelled.');
      throw new AppError('s3', `Could not list ${uri}: ${(e as Error).message}`);
    }
  }
  const known = await alreadyImported(db);
  const todo = planned.filter((o) => !known.has(`${o.uri}\u0000${o.etag}`));
  const plan: S3PlanReport = {
    objects: todo.length,
    bytes: todo.reduce((s, o) => s + o.size, 0),
    alreadyInCase: planned.length - todo.length,
    outOfWindow,
  };
  hooks.onPlan?.(plan);

  const summary: S3ImportSummary = { plan, fetched: 0, bytes: 0, failed: [], retries: 0, ingest: null, cancelled: false };
  if (todo.length === 0) return summary;

  const dir = await mkdtemp(join(tmpdir(), 'tunnelscope-s3-'));
  const started = Date.now();
  let bytesDone = 0;
  let done = 0;
  const report = () => {
    const secs = (Date.now() - started) / 1000;
    const rate = secs > 0 ? bytesDone / secs : 0;
    hooks.onProgress?.({
      objectsDone: done,
      objectsTotal: todo.length,
      bytesDone,
      bytesTotal: plan.bytes,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? Math.max(0, (plan.bytes - bytesDone) / rate) : null,
      failed: summary.failed.length,
    });
  };

  // Downloads run in parallel; ingest takes finished files one at a time, in the order they land.
  const ready: { obj: PlannedObject; path: string; etag: string }[] = [];
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  let downloadsOver = false;
  const ingestSummaries: IngestSummary[] = [];

  const ingestLoop = (async () => {
    for (;;) {
      if (ready.length === 0) {
        if (downloadsOver) return;
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      const batch = ready.splice(0, ready.length);
      if (signal?.aborted) continue;
      try {
        const s = await ingestInputs(
          db,
          batch.map((b) => ({ localPath: b.path, displayPath: b.obj.uri, etag: b.etag })),
          req.ingest ?? {},
          { signal, onProgress: hooks.onIngestProgress },
        );
        ingestSummaries.push(s);
      } finally {
        await Promise.all(batch.map((b) => rm(b.path, { force: true })));
      }
    }
  })();

  let next = 0;
  const worker = async () => {
    while (next < todo.length && !signal?.aborted) {
      const index = next++;
      const obj = todo[index]!;
      const dest = join(dir, `${index}-${obj.key.split('/').pop()!.replace(/[^\w.-]/g, '_')}`);
      try {
        const got = await downloadObject(client, obj, dest, {
          signal,
          retries: req.retries,
          retryBaseMs: req.retryBaseMs,
          onBytes: (n) => (bytesDone += n),
          onRetry: () => summary.retries++,
        });
        summary.fetched++;
        summary.bytes += got.bytes;
        ready.push({ obj, path: dest, etag: got.etag });
        notify();
      } catch (e) {
        if (signal?.aborted) return;
        summary.failed.push({ uri: obj.uri, reason: (e as Error).message });
      }
      done++;
      report();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(req.concurrency ?? 8, todo.length) }, worker));
  } finally {
    downloadsOver = true;
    notify();
    await ingestLoop.catch((e) => {
      if (!signal?.aborted) throw e;
    });
    await rm(dir, { recursive: true, force: true });
  }
  summary.cancelled = !!signal?.aborted;
  summary.ingest = mergeSummaries(ingestSummaries);
  return summary;
}

async function alreadyImported(db: Db): Promise<Set<string>> {
  const rows = await db.all<{ path: string; etag: string }>("SELECT path, etag FROM sources WHERE path LIKE 's3://%' AND etag IS NOT NULL");
  return new Set(rows.map((r) => `${r.path}\u0000${r.etag}`));
}
