/**
 * The only code in the renderer that talks to main. Electron exposes `window.api` from the preload;
 * in browser mode (`tunnelscope serve`) the same contract goes over HTTP:
 *   POST /api/<channel>   body = JSON args, answer = Result JSON
 *   GET  /events          Server-Sent Events: unnamed messages whose data is {"event","payload"}
 * The session token arrives once in the page URL (?token=…); the server turns it into an HttpOnly
 * cookie, and this client also sends it as a header.
 */
import type { ArgsOf, Channel, EventName, Events, ResultOf } from '../../../src-main/shared/contract.ts';
import type { AppErrorValue, Result } from '../../../src-main/shared/result.ts';

export interface Bridge {
  invoke(channel: string, args: unknown): Promise<Result<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the file-system path of a dropped File (webUtils.getPathForFile). */
  pathForFile?(file: File): string;
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
  if (fromUrl) {
    sessionStorage.setItem('tunnelscope.token', fromUrl);
    // Keep the secret out of the address bar, bookmarks and screenshots; reloads use the cookie.
    params.delete('token');
    const rest = params.toString();
    history.replaceState(history.state, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
  }
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

/**
 * Paths of files/folders dropped on the window. Only the desktop app can see them; a browser
 * never reveals where a dropped file lives, so this returns [] there.
 */
export function droppedPaths(data: DataTransfer | null): string[] {
  const api = typeof window !== 'undefined' ? window.api : undefined;
  if (!data || !api?.pathForFile) return [];
  const out: string[] = [];
  for (const file of Array.from(data.files)) {
    const p = api.pathForFile(file);
    if (p) out.push(p);
  }
  return out;
}

/**
 * Accepts files and folders dropped anywhere on the window: one .tscope opens it, anything else
 * is imported into the open investigation (or a new one). Returns the uninstall function.
 * `onError` receives the engine's sentence when the request fails.
 */
export function installFileDrop(onError: (message: string) => void = () => undefined): () => void {
  const over = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = isDesktop() ? 'copy' : 'none';
  };
  const drop = (e: DragEvent) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    const paths = droppedPaths(e.dataTransfer);
    if (!paths.length) return;
    const single = paths.length === 1 ? paths[0]! : null;
    const request = single && single.toLowerCase().endsWith('.tscope') ? tryCall('case.open', { path: single }) : tryCall('ingest.start', { paths });
    void request.then((r) => {
      if (!r.ok) onError(r.error.message);
    });
  };
  window.addEventListener('dragover', over);
  window.addEventListener('drop', drop);
  return () => {
    window.removeEventListener('dragover', over);
    window.removeEventListener('drop', drop);
  };
}

/**
 * A native open/save dialog (desktop app): the chosen paths, [] when cancelled. In the browser
 * there is none: null, and the UI asks for the path on the machine running `tunnelscope serve`.
 */
export async function pickPaths(kind: ArgsOf<'app.pickPath'>['kind'], defaultName?: string): Promise<string[] | null> {
  if (!isDesktop()) return null;
  return (await call('app.pickPath', { kind, defaultName })).paths;
}
