/**
 * The evidence bundle on disk: one JSON file per API result, in the shapes the AWS CLI prints
 * (and so the shapes ingest reads), plus manifest.json saying what was asked and what failed.
 * Secrets never reach a file: every PreSharedKey and the CustomerGatewayConfiguration XML (which
 * repeats the keys) are removed from a result before it is serialised.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SECRET_KEYS = new Set(['PreSharedKey', 'CustomerGatewayConfiguration']);

/** A deep copy without secret members; Dates become ISO text, as the CLI prints them. */
export function scrub(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(scrub);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (SECRET_KEYS.has(k) || k === '$metadata' || x === undefined) continue;
      out[k] = scrub(x);
    }
    return out;
  }
  return v;
}

/** A log group or resource name as a file name: "/aws/vpn/x" → "aws_vpn_x" (ingest matches groups spelt so). */
export function fileSafe(name: string): string {
  return name.replace(/^\/+/, '').replace(/[\\/]/g, '_').replace(/[^A-Za-z0-9._=+-]/g, '-');
}

export class Bundle {
  /** Data files written, relative to the bundle folder, in write order. */
  readonly files: string[] = [];
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  writeJson(rel: string, value: unknown): string {
    const abs = this.path(rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, JSON.stringify(scrub(value), null, 2) + '\n');
    if (!this.files.includes(rel)) this.files.push(rel);
    return abs;
  }

  /** Starts (truncates) a file of JSON documents, one per page. */
  startPages(rel: string): void {
    const abs = this.path(rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, '');
  }

  appendPage(rel: string, value: unknown): void {
    appendFileSync(this.path(rel), JSON.stringify(scrub(value)) + '\n');
    if (!this.files.includes(rel)) this.files.push(rel);
  }

  /** Not a data file: never handed to ingest. */
  writeManifest(value: unknown): void {
    writeFileSync(this.path('manifest.json'), JSON.stringify(scrub(value), null, 2) + '\n');
  }
}
