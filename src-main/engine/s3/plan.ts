/**
 * Lists only what a time window needs. Walks the bucket one folder level at a time (delimiter '/'),
 * descending into every non-date folder (accounts, services, regions, export tasks) but only into
 * the date partitions that overlap the window, then keeps objects whose name stamp is in range.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { s3Uri } from './uri.ts';
import { datePartOf, objectInWindow, partitionOverlaps, type DatePart, type TimeWindow } from './window.ts';
import { withRetries } from './retry.ts';

export interface PlannedObject {
  bucket: string;
  key: string;
  uri: string;
  size: number;
  etag: string;
}

export interface Plan {
  objects: PlannedObject[];
  bytes: number;
  /** Objects seen in listings but outside the window. */
  outOfWindow: number;
  listCalls: number;
}

const DATE_ORDER: DatePart[] = ['year', 'month', 'day', 'hour'];
/** Folder levels to descend before giving up on finding date partitions (AWSLogs/acct/service/region = 4). */
const MAX_DEPTH = 10;
const LIST_CONCURRENCY = 8;

export async function planWindow(client: S3Client, bucket: string, prefix: string, window: TimeWindow, signal?: AbortSignal): Promise<Plan> {
  const plan: Plan = { objects: [], bytes: 0, outOfWindow: 0, listCalls: 0 };
  const queue: { prefix: string; parts: Partial<Record<DatePart, number>>; depth: number }[] = [{ prefix, parts: {}, depth: 0 }];
  // A prefix that names one object (or a partial name) is listed as is; a folder gets its slash.
  let running = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (queue.length === 0 && running === 0) return resolve();
      while (running < LIST_CONCURRENCY && queue.length > 0) {
        const job = queue.shift()!;
        running++;
        listLevel(client, bucket, job.prefix, plan, signal)
          .then(({ folders, objects }) => {
            for (const o of objects) {
              if (objectInWindow(o.key, window)) {
                plan.objects.push({ ...o, bucket, uri: s3Uri(bucket, o.key) });
                plan.bytes += o.size;
              } else plan.outOfWindow++;
            }
            const next = DATE_ORDER.find((p) => job.parts[p] === undefined);
            for (const folder of folders) {
              const segment = folder.slice(job.prefix.length).replace(/\/$/, '');
              const value = next ? datePartOf(segment, next) : null;
              if (next && value !== null) {
                const parts = { ...job.parts, [next]: value };
                if (partitionOverlaps(parts, window)) queue.push({ prefix: folder, parts, depth: job.depth + 1 });
              } else if (job.depth < MAX_DEPTH) {
                queue.push({ prefix: folder, parts: job.parts, depth: job.depth + 1 });
              }
            }
          })
          .then(() => {
            running--;
            pump();
          }, reject);
      }
    };
    pump();
  });
  plan.objects.sort((a, b) => a.key.localeCompare(b.key));
  return plan;
}

async function listLevel(client: S3Client, bucket: string, prefix: string, plan: Plan, signal?: AbortSignal) {
  const folders: string[] = [];
  const objects: { key: string; size: number; etag: string }[] = [];
  let token: string | undefined;
  do {
    const page = await withRetries(
      () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }), { abortSignal: signal }),
      { retries: 4, baseMs: 200, signal },
    );
    plan.listCalls++;
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      // CloudWatch Logs export tasks leave a permission-check object at the prefix root.
      if (o.Key.endsWith('aws-logs-write-test')) continue;
      objects.push({ key: o.Key, size: o.Size ?? 0, etag: (o.ETag ?? '').replaceAll('"', '') });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { folders, objects };
}
