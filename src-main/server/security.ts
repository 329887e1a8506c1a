/** The checks every request to the browser-mode server passes: Host (DNS rebinding) and token. */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Same policy as the meta tag in src-renderer/index.html, plus what only a header can say. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'none'; frame-src 'none'; form-action 'none'; frame-ancestors 'none'";

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

export function cookieName(port: number): string {
  // Cookies are not port-scoped: two `serve` instances on one machine must not overwrite each other.
  return `tunnelscope_token_${port}`;
}

/** A browser reaching us through a rebound DNS name sends that name; only loopback names pass. */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = (req.headers.host ?? '').toLowerCase();
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

/** Where the request carried the token, or null when it did not (or carried a wrong one). */
export function tokenSource(req: IncomingMessage, url: URL, token: string, port: number): 'query' | 'header' | 'cookie' | null {
  const q = url.searchParams.get('token');
  if (q !== null && same(q, token)) return 'query';
  const h = req.headers['x-tunnelscope-token'];
  if (typeof h === 'string' && same(h, token)) return 'header';
  const c = cookies(req).get(cookieName(port));
  if (c !== undefined && same(c, token)) return 'cookie';
  return null;
}
