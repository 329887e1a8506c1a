/**
 * The browser-mode bridge: loopback only, token on every request, Host guard, the contract over
 * HTTP, events over SSE (to every client), and the renderer served with its CSP.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { startServer, type ServeHandle } from '../../src-main/server/index.ts';
import { writeFlowLog } from '../e2e/helpers/flows.ts';

interface Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An SSE client that collects parsed {event, payload} messages. */
function subscribe(port: number, token: string): Promise<{ messages: { event: string; payload: any }[]; close(): void; waitFor(pred: (m: { event: string; payload: any }) => boolean, ms?: number): Promise<{ event: string; payload: any }> }> {
  return new Promise((resolve, reject) => {
    const messages: { event: string; payload: any }[] = [];
    const waiters: { pred: (m: any) => boolean; done: (m: any) => void }[] = [];
    const req = httpRequest({ host: '127.0.0.1', port, path: `/events?token=${token}`, headers: { host: `127.0.0.1:${port}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE status ${res.statusCode}`));
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          // Unnamed messages only: the renderer listens with EventSource.onmessage.
          expect(frame).not.toMatch(/^event:/m);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue;
          const m = JSON.parse(data) as { event: string; payload: any };
          messages.push(m);
          for (const w of [...waiters]) if (w.pred(m)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.done(m);
          }
        }
      });
      resolve({
        messages,
        close: () => req.destroy(),
        waitFor: (pred, ms = 60_000) =>
          new Promise((done, fail) => {
            const hit = messages.find(pred);
            if (hit) return done(hit);
            const t = setTimeout(() => fail(new Error(`no matching event in ${ms} ms; got ${messages.map((x) => x.event).join(', ')}`)), ms);
            waiters.push({ pred, done: (m) => { clearTimeout(t); done(m); } });
          }),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

let dir: string;
let renderer: string;
let ws: Workspace;
let srv: ServeHandle;
let big: string;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tscope-server-'));
  renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Tunnelscope</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(renderer, 'assets/app.js'), 'console.log("hi")');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  big = join(dir, 'big.log');
  await writeFlowLog(big, 150_000);
  ws = new Workspace({ mode: 'browser', version: '1.2.3', log: () => undefined, progressIntervalMs: 0 });
  srv = await startServer({ ws, rendererDir: renderer, port: 0, log: () => undefined, maxBodyBytes: 64 * 1024 });
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await ws?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('binding', () => {
  it('listens on 127.0.0.1 only and prints a URL with a 32-byte hex token', async () => {
    const addr = srv.server.address() as AddressInfo;
    expect(addr.address).toBe('127.0.0.1');
    expect(addr.family).toBe('IPv4');
    expect(srv.url).toBe(`http://127.0.0.1:${addr.port}/?token=${srv.token}`);
    expect(srv.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('cannot be reached on any other interface', async () => {
    const others = Object.values(networkInterfaces()).flat().filter((i) => i && i.address !== '127.0.0.1').map((i) => i!.address);
    for (const address of ['::1', ...others]) {
      const reached = await new Promise<boolean>((resolve) => {
        const s = connect({ host: address, port: srv.port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
        s.setTimeout(2000, () => {
          s.destroy();
          resolve(false);
        });
      });
      expect(reached, `reachable on ${address}`).toBe(false);
    }
  });

  it('uses a different token each start', async () => {
    const other = await startServer({ ws, rendererDir: renderer, log: () => undefined });
    try {
      expect(other.token).not.toBe(srv.token);
      expect(other.port).not.toBe(srv.port);
    } finally {
      await other.close();
    }
  });
});

describe('token and Host guard', () => {
  it('refuses every kind of request without the token with 401', async () => {
    for (const path of ['/', '/index.html', '/assets/app.js', '/events', '/nope']) {
      expect((await send(srv.port, { path })).status).toBe(401);
    }
    expect((await send(srv.port, { method: 'POST', path: '/api/app.info', headers: json, body: '{}' })).status).toBe(401);
    expect((await send(srv.port, { path: `/?token=${'ab'.repeat(32)}` })).status).toBe(401);
    expect((await send(srv.port, { path: '/', headers: { 'x-tunnelscope-token': srv.token.slice(1) } })).status).toBe(401);
    expect((await send(srv.port, { path: '/', headers: { cookie: `tunnelscope_token_${srv.port}=wrong` } })).status).toBe(401);
  });

  it('refuses a foreign Host header (DNS rebinding) even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${srv.port}`, `127.0.0.1:${srv.port + 1}`, `localhost`, `0.0.0.0:${srv.port}`]) {
      const r = await send(srv.port, { path: `/?token=${srv.token}`, headers: { host } });
      expect(r.status, host).toBe(403);
    }
    expect((await send(srv.port, { path: `/?token=${srv.token}`, headers: { host: `localhost:${srv.port}` } })).status).toBe(200);
  });

  it('serves the page with CSP and sets an HttpOnly SameSite=Strict cookie that then loads assets', async () => {
    const page = await send(srv.port, { path: `/?token=${srv.token}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toContain(`tunnelscope_token_${srv.port}=${srv.token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const asset = await send(srv.port, { path: '/assets/app.js', headers: { cookie: `tunnelscope_token_${srv.port}=${srv.token}` } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.body).toContain('console.log');
    // Header-authenticated API calls do not get a cookie.
    const api = await send(srv.port, { method: 'POST', path: '/api/app.info', headers: { ...json, 'x-tunnelscope-token': srv.token }, body: '{}' });
    expect(api.headers['set-cookie']).toBeUndefined();
  });

  it('never serves files outside the renderer folder', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00']) {
      const r = await send(srv.port, { path: `${path}${path.includes('?') ? '&' : '?'}token=${srv.token}` });
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('outside the renderer');
    }
  });
});

describe('the contract over HTTP', () => {
  const post = (channel: string, body: string, headers: Record<string, string> = {}) =>
    send(srv.port, { method: 'POST', path: `/api/${channel}`, headers: { ...json, 'x-tunnelscope-token': srv.token, ...headers }, body });

  it('round-trips requests as Result JSON', async () => {
    const info = await post('app.info', '{}');
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ ok: true, value: { version: '1.2.3', mode: 'browser' } });
    const created = JSON.parse((await post('case.new', JSON.stringify({ path: join(dir, 'http.tscope') }))).body);
    expect(created).toMatchObject({ ok: true, value: { path: join(dir, 'http.tscope'), counts: { vpc_flows: 0 } } });
    const current = JSON.parse((await post('case.current', '')).body);
    expect(current.value.path).toBe(join(dir, 'http.tscope'));
  });

  it('answers bad arguments, unknown channels, bad JSON, wrong methods and big bodies with errors', async () => {
    const bad = await post('quarantine.list', JSON.stringify({ limit: 'lots' }));
    expect(bad.status).toBe(200);
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    expect(JSON.parse(bad.body).error.message).toContain("'limit'");
    const malformed = await post('%E0%A4%A', '{}');
    expect(malformed.status).toBe(404);
    const unknown = await post('case.explode', '{}');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const notJson = await post('app.info', '{nope');
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body)).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    const form = await post('app.info', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const get = await send(srv.port, { path: `/api/app.info?token=${srv.token}` });
    expect(get.status).toBe(405);
    const huge = await post('sql.run', JSON.stringify({ sql: 'x'.repeat(100 * 1024) }));
    expect(huge.status).toBe(413);
    const cross = await post('app.info', '{}', { origin: 'http://evil.example' });
    expect(cross.status).toBe(403);
    const same = await post('app.info', '{}', { origin: `http://127.0.0.1:${srv.port}` });
    expect(same.status).toBe(200);
  });

  it('says how to build the renderer when it is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tscope-empty-'));
    const other = await startServer({ ws, rendererDir: empty, log: () => undefined });
    try {
      const r = await send(other.port, { path: `/?token=${other.token}` });
      expect(r.status).toBe(503);
      expect(r.body).toContain('npm run build');
    } finally {
      await other.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('events over SSE', () => {
  it('delivers ingest progress, done and case.changed to two concurrent clients while both keep calling', async () => {
    await send(srv.port, { method: 'POST', path: '/api/case.new', headers: { ...json, 'x-tunnelscope-token': srv.token }, body: JSON.stringify({ path: join(dir, 'sse.tscope') }) });
    const a = await subscribe(srv.port, srv.token);
    const b = await subscribe(srv.port, srv.token);
    try {
      expect(srv.eventClients()).toBe(2);
      const started = JSON.parse((await send(srv.port, { method: 'POST', path: '/api/ingest.start', headers: { ...json, 'x-tunnelscope-token': srv.token }, body: JSON.stringify({ paths: [big] }) })).body);
      expect(started.ok).toBe(true);
      const jobId = started.value.jobId as string;
      // Client B keeps making requests while the import runs.
      const during = await Promise.all(
        Array.from({ length: 5 }, () => send(srv.port, { method: 'POST', path: '/api/app.info', headers: { ...json, 'x-tunnelscope-token': srv.token }, body: '{}' })),
      );
      expect(during.every((r) => r.status === 200 && JSON.parse(r.body).ok)).toBe(true);
      for (const client of [a, b]) {
        const progress = await client.waitFor((m) => m.event === 'ingest.progress' && m.payload.jobId === jobId);
        expect(progress.payload.fileCount).toBe(1);
        const done = await client.waitFor((m) => m.event === 'ingest.done' && m.payload.jobId === jobId);
        expect(done.payload.records).toBe(150_000);
        const changed = await client.waitFor((m) => m.event === 'case.changed' && m.payload?.counts?.vpc_flows === 150_000);
        expect(changed.payload.path).toBe(join(dir, 'sse.tscope'));
      }
      const progressIdx = a.messages.findIndex((m) => m.event === 'ingest.progress');
      const doneIdx = a.messages.findIndex((m) => m.event === 'ingest.done');
      expect(progressIdx).toBeLessThan(doneIdx);
    } finally {
      a.close();
      b.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.eventClients()).toBe(0);
  });
});
