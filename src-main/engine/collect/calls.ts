/**
 * One record per API call family (an operation on one target, all its pages): what came back or
 * why it failed. A failure is recorded and the collection goes on with what it has.
 */
export interface CallOutcome {
  /** e.g. "ec2:DescribeVpnConnections" (the IAM action name). */
  api: string;
  /** What it was asked about: a VPN id, a log group, a route table. */
  target: string;
  ok: boolean;
  pages: number;
  items: number;
  /** Bundle file (relative) holding the result. */
  file?: string;
  /** Error code from AWS (AccessDenied, ResourceNotFoundException, …). */
  code?: string;
  error?: string;
  /** Attempts the SDK made (more than 1 = retried after throttling or a server error). */
  attempts?: number;
}

export class CallLog {
  readonly calls: CallOutcome[] = [];
  constructor(private readonly onStep: (line: string) => void = () => {}) {}

  /**
   * Runs `fn` (which pages as it likes and reports items through the outcome); a thrown error
   * becomes a failed outcome and `null`.
   */
  async run<T>(api: string, target: string, fn: (o: CallOutcome) => Promise<T>, signal?: AbortSignal): Promise<T | null> {
    const o: CallOutcome = { api, target, ok: false, pages: 0, items: 0 };
    this.calls.push(o);
    this.onStep(`${api} ${target}…`);
    try {
      const v = await fn(o);
      o.ok = true;
      this.onStep(`${api} ${target}: ${o.items} items in ${o.pages} page${o.pages === 1 ? '' : 's'}`);
      return v;
    } catch (e) {
      if (signal?.aborted) throw e;
      const err = e as Error & { $metadata?: { httpStatusCode?: number; attempts?: number }; Code?: string };
      o.code = err.name && err.name !== 'Error' ? err.name : (err.Code ?? 'Error');
      o.error = describe(api, o.code, err.message, err.$metadata?.httpStatusCode);
      if (err.$metadata?.attempts) o.attempts = err.$metadata.attempts;
      this.onStep(`${api} ${target}: FAILED ${o.error}`);
      return null;
    }
  }

  get failed(): CallOutcome[] {
    return this.calls.filter((c) => !c.ok);
  }
}

function describe(api: string, code: string, message: string, status?: number): string {
  const msg = (message || '').split('\n')[0]!.slice(0, 300);
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden/i.test(code) || status === 403) {
    return `${code}: the credentials may not call ${api} (${msg})`;
  }
  if (/Throttl|TooManyRequests|RequestLimitExceeded/i.test(code)) return `${code}: still throttled after the SDK's retries (${msg})`;
  return `${code}${status ? ` (HTTP ${status})` : ''}: ${msg}`;
}
