/**
 * Fetches one object to a local file, checking it arrived whole: a connection that drops mid-body
 * leaves fewer bytes than Content-Length, which is retried like a throttling answer.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { withRetries, type Failure } from './retry.ts';
import type { PlannedObject } from './plan.ts';

export interface DownloadOptions {
  signal?: AbortSignal;
  retries?: number;
  retryBaseMs?: number;
  onBytes?: (n: number) => void;
  onRetry?: (f: Failure, attempt: number) => void;
}

export async function downloadObject(client: S3Client, obj: PlannedObject, dest: string, o: DownloadOptions = {}): Promise<{ etag: string; bytes: number }> {
  return withRetries(
    async () => {
      let written = 0;
      try {
        const res = await client.send(new GetObjectCommand({ Bucket: obj.bucket, Key: obj.key }), { abortSignal: o.signal });
        const expected = res.ContentLength;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            written += chunk.length;
            o.onBytes?.(chunk.length);
            cb(null, chunk);
          },
        });
        await pipeline(res.Body as Readable, counter, createWriteStream(dest), { signal: o.signal });
        if (expected !== undefined && written !== expected) {
          throw Object.assign(new Error(`connection closed after ${written} of ${expected} bytes (truncated body)`), { code: 'ECONNRESET' });
        }
        return { etag: (res.ETag ?? obj.etag).replaceAll('"', ''), bytes: written };
      } catch (e) {
        o.onBytes?.(-written);
        await rm(dest, { force: true });
        throw e;
      }
    },
    { retries: o.retries ?? 4, baseMs: o.retryBaseMs ?? 250, signal: o.signal, onRetry: o.onRetry },
  );
}
