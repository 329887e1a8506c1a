/** How S3 failures are told apart: worth retrying (throttling, 5xx, dropped connections) or final. */

export interface Failure {
  retryable: boolean;
  reason: string;
}

const RETRYABLE_CODES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

export function classify(e: unknown): Failure {
  const err = e as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = err?.Code ?? err?.name ?? '';
  const status = err?.$metadata?.httpStatusCode;
  const message = (err?.message ?? String(e)).split('\n')[0]!;
  if (name === 'NoSuchKey' || status === 404) return { retryable: false, reason: 'the object no longer exists (it was deleted or moved after listing)' };
  if (name === 'AccessDenied' || status === 403) return { retryable: false, reason: 'access denied (check the bucket policy and your credentials)' };
  if (name === 'NoSuchBucket') return { retryable: false, reason: 'the bucket does not exist' };
  if (RETRYABLE_CODES.has(name) || (status !== undefined && (status === 429 || status >= 500))) {
    return { retryable: true, reason: `server error ${status ?? ''} ${name}`.replace(/\s+/g, ' ').trim() };
  }
  if (NETWORK_CODES.has(err?.code ?? '') || /socket|premature|ECONNRESET|closed|aborted by the server|truncated/i.test(message)) {
    return { retryable: true, reason: `network error: ${message}` };
  }
  return { retryable: false, reason: message };
}

export function backoffMs(attempt: number, baseMs: number): number {
  const exp = baseMs * 2 ** attempt;
  return exp / 2 + Math.random() * (exp / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `fn` until it succeeds, fails for good, or retries run out; the last failure is thrown. */
export async function withRetries<T>(fn: () => Promise<T>, opts: { retries: number; baseMs: number; signal?: AbortSignal; onRetry?: (f: Failure, attempt: number) => void }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const f = classify(e);
      if (!f.retryable || attempt >= opts.retries) throw new S3Failure(f.reason, attempt + 1);
      opts.onRetry?.(f, attempt + 1);
      await sleep(backoffMs(attempt, opts.baseMs), opts.signal);
    }
  }
}

export class S3Failure extends Error {
  constructor(
    readonly reason: string,
    readonly attempts: number,
  ) {
    super(attempts > 1 ? `${reason} (after ${attempts} attempts)` : reason);
  }
}
