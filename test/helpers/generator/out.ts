/** File output shared by the writers: relative paths, gzip, and a manifest of what was written. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface WrittenFile {
  path: string;
  kind: 'vpc_flows' | 'tgw_flows' | 'metrics' | 'vpn_tunnel_log' | 'vpn_bgp_log' | 'config' | 'other';
  format: string;
  /** Records (flow lines, data points, log events, config objects) the file holds. */
  records: number;
}

export class Out {
  readonly files: WrittenFile[] = [];
  constructor(readonly root: string) {}

  write(rel: string, content: string | Buffer, meta: Omit<WrittenFile, 'path'>, gzip = false): void {
    const abs = join(this.root, rel);
    mkdirSync(dirname(abs), { recursive: true });
    const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    writeFileSync(abs, gzip ? gzipSync(body, { level: 6 }) : body);
    this.files.push({ path: rel, ...meta });
  }
}

export const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 2026-11-20T13:05:00.000Z */
export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** 2026-11-20T13:05:00+00:00 (the AWS CLI's rendering of get-metric-data timestamps). */
export function isoOffset(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', '+00:00');
}

/** 2026-11-20T13:05:00Z */
export function isoZ(sec: number): string {
  return new Date(sec * 1000).toISOString().replace('.000Z', 'Z');
}

/** VPN log readable time: 2025-11-08 05:40:29.641Z */
export function vpnReadable(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ');
}

/** Python-style JSON as the AWS CLI prints it: 4-space indent, floats keep a `.0`. */
export function cliJson(obj: unknown, floatKeys: ReadonlySet<string> = new Set()): string {
  const text = JSON.stringify(obj, (k, v) => (floatKeys.has(k) ? markFloats(v) : v), 4);
  return text.replace(/"__f:(-?[0-9.e+-]+)"/g, (_, n: string) => (/[.e]/.test(n) ? n : `${n}.0`)) + '\n';
}

function markFloats(v: unknown): unknown {
  if (typeof v === 'number') return `__f:${v}`;
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? `__f:${x}` : x));
  return v;
}
