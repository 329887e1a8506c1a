/**
 * The local HTTP bridge behind `tunnelscope serve`: the built renderer, the contract as
 *   POST /api/<channel>  (JSON args → Result JSON)
 *   GET  /events         (Server-Sent Events; unnamed messages whose data is {"event","payload"})
 * Bound to 127.0.0.1 only. Every request must carry the session token (query, x-tunnelscope-token
 * header, or the HttpOnly cookie set on the first tokened page load) and a loopback Host header.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contextFor, dispatch } from '../ipc/index.ts';
import type { Workspace } from '../engine/workspace.ts';
import type { Result } from '../shared/result.ts';
import { CSP, cookieName, hostAllowed, newToken, tokenSource } from './security.ts';
import { rendererBuilt, resolveAsset, sendFile } from './static.ts';

/** The only interface this server ever binds. */
export const LOOPBACK = '127.0.0.1';

export interface ServeOptions {
  ws: Workspace;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  token?: string;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** Milliseconds between SSE keep-alive comments. */
  heartbeatMs?: number;
  log?: (message: string) => void;
}

export interface ServeHandle {
  server: Server;
  port: number;
  token: string;
  /** http://127.0.0.1:PORT/?token=… */
  url: string;
  /** Browser clients listening on /events right now. */
  eventClients(): number;
  close(): Promise<void>;
}

const BASE_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${text}\n`);
}

function sendResult(res: ServerResponse, status: number, result: Result<unknown>): void {
  const body = json(result);
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startServer(opts: ServeOptions): Promise<ServeHandle> {
  const { ws, rendererDir } = opts;
  const token = opts.token ?? newToken();
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const ctx = contextFor(ws);
  const clients = new Set<ServerResponse>();
  let port = 0;

  const unsubscribe = ws.onEvent((event, payload) => {
    const frame = `data: ${json({ event, payload })}\n\n`;
    for (const c of clients) c.write(frame);
  });
  const heartbeat = setInterval(() => {
    for (const c of clients) c.write(': keep-alive\n\n');
  }, opts.heartbeatMs ?? 15_000);
  heartbeat.unref();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostAllowed(req, port)) {
      sendText(res, 403, 'Forbidden: Tunnelscope only answers requests addressed to 127.0.0.1 or localhost.');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    const via = tokenSource(req, url, token, port);
    if (!via) {
      sendText(res, 401, 'Unauthorized: open the URL with ?token=… that `tunnelscope serve` printed.');
      return;
    }
    const method = req.method ?? 'GET';

    if (url.pathname.startsWith('/api/')) {
      if (method !== 'POST') {
        res.setHeader('allow', 'POST');
        sendText(res, 405, 'Use POST for /api requests.');
        return;
      }
      // A cross-site page cannot get the token, but refuse foreign origins outright as well.
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${req.headers.host}`) {
        sendText(res, 403, 'Forbidden: cross-origin request.');
        return;
      }
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        sendResult(res, 415, { ok: false, error: { code: 'bad-argument', message: 'Requests must be JSON (content-type: application/json).' } });
        return;
      }
      let body: string;
      try {
        body = await readBody(req, maxBody);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          sendResult(res, 413, { ok: false, error: { code: 'bad-argument', message: `The request is larger than ${maxBody} bytes.` } });
          return;
        }
        throw e;
      }
      let args: unknown;
      try {
        args = body.trim() === '' ? {} : JSON.parse(body);
      } catch {
        sendResult(res, 400, { ok: false, error: { code: 'bad-argument', message: 'The request body is not valid JSON.' } });
        return;
      }
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice('/api/'.length));
      } catch {
        channel = url.pathname.slice('/api/'.length);
      }
      const result = await dispatch(channel, args, ctx, log);
      sendResult(res, !result.ok && result.error.code === 'not-found' && result.error.message.startsWith('Unknown request') ? 404 : 200, result);
      return;
    }

    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendText(res, 405, 'Method not allowed.');
      return;
    }

    if (url.pathname === '/events') {
      res.writeHead(200, { ...BASE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write('retry: 2000\n: connected\n\n');
      clients.add(res);
      req.on('close', () => clients.delete(res));
      return;
    }

    if (!rendererBuilt(rendererDir)) {
      sendText(res, 503, `The renderer is not built (${rendererDir}/index.html is missing): run npm run build, then start tunnelscope serve again.`);
      return;
    }
    const file = resolveAsset(rendererDir, url.pathname);
    if (!file && url.pathname === '/favicon.ico') {
      // Browsers ask for it on their own; without an icon in the build, answer "nothing" rather
      // than a 404 that shows up as a console error.
      res.writeHead(204, BASE_HEADERS);
      res.end();
      return;
    }
    if (!file) {
      sendText(res, 404, 'Not found.');
      return;
    }
    const headers: Record<string, string> = { ...BASE_HEADERS };
    if (file.endsWith('.html')) {
      headers['content-security-policy'] = CSP;
      if (via === 'query') headers['set-cookie'] = `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    sendFile(res, file, headers, method === 'HEAD');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`serve: ${req.method} ${req.url} failed: ${e instanceof Error ? e.stack : String(e)}`);
      if (!res.headersSent) sendText(res, 500, 'Internal error; see the terminal running tunnelscope serve.');
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 0; // SSE streams stay open
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    server,
    port,
    token,
    url: `http://${LOOPBACK}:${port}/?token=${token}`,
    eventClients: () => clients.size,
    close() {
      closing ??= new Promise<void>((resolvePromise) => {
        unsubscribe();
        clearInterval(heartbeat);
        for (const c of clients) c.end();
        clients.clear();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
