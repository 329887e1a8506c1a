/**
 * The only code in the renderer that talks to main. Electron exposes `window.api` from the preload;
 * in browser mode (`tunnelscope serve`) the same contract goes over HTTP:
 *   POST /api/<channel>   body = JSON args, answer = Result JSON
 *   GET  /events          Server-Sent Events, `event: <name>` / `data: <json>`
 * The session token arrives once in the page URL (?token=…); the server turns it into an HttpOnly
 * cookie, and this client also sends it as a header.
 */
import type { ArgsOf, Channel, EventName, Events, ResultOf } from '../../../src-main/shared/contract.ts';
import type { AppErrorValue, Result } from '../../../src-main/shared/result.ts';

export interface Bridge {
  invoke(channel: string, args: unknown): Promise<Result<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: Bridge;
  }
}

/** Thrown by `call` when main answers with an error value. */
export class ApiError extends Error {
  constructor(readonly error: AppErrorValue) {
    super(error.message);
    this.name = 'ApiError';
  }
  get code(): AppErrorValue['code'] {
    return this.error.code;
  }
}

function httpBridge(): Bridge {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) sessionStorage.setItem('tunnelscope.token', fromUrl);
  const token = fromUrl ?? sessionStorage.getItem('tunnelscope.token') ?? '';
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let source: EventSource | null = null;

  function ensureEvents(): void {
    if (source) return;
    source = new EventSource(`./events?token=${encodeURIComponent(token)}`);
    source.onmessage = (m) => dispatch(m);
  }
  function dispatch(m: MessageEvent): void {
    const { event, payload } = JSON.parse(m.data as string) as { event: string; payload: unknown };
    for (const l of listeners.get(event) ?? []) l(payload);
  }

  return {
    async invoke(channel, args) {
      try {
        const res = await fetch(`./api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tunnelscope-token': token },
          body: JSON.stringify(args ?? {}),
        });
        return (await res.json()) as Result<unknown>;
      } catch {
        return { ok: false, error: { code: 'io', message: 'Lost the connection to the Tunnelscope engine. Is `tunnelscope serve` still running?' } };
      }
    },
    on(event, listener) {
      ensureEvents();
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return () => listeners.get(event)?.delete(listener);
    },
  };
}

let bridge: Bridge | null = null;
function getBridge(): Bridge {
  bridge ??= window.api ?? httpBridge();
  return bridge;
}

/** Returns the result value or throws ApiError with the engine's message. */
export async function call<C extends Channel>(channel: C, ...args: {} extends ArgsOf<C> ? [ArgsOf<C>?] : [ArgsOf<C>]): Promise<ResultOf<C>> {
  const r = await getBridge().invoke(channel, args[0] ?? {});
  if (!r.ok) throw new ApiError(r.error);
  return r.value as ResultOf<C>;
}

/** Like `call`, but hands back the Result value instead of throwing. */
export async function tryCall<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<Result<ResultOf<C>>> {
  return (await getBridge().invoke(channel, args)) as Result<ResultOf<C>>;
}

export function on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
  return getBridge().on(event, listener as (p: unknown) => void);
}

/** Electron or browser: used to show/hide features that need native dialogs. */
export function isDesktop(): boolean {
  return typeof window !== 'undefined' && !!window.api;
}
