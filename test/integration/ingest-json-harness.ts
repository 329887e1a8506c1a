/**
 * Test harness for the JSON format handlers: detection over the real handler list and a load with
 * a sources row of its own, the way the ingest service drives a handler (one transaction per file).
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { handlers } from '../../src-main/engine/ingest/formats/index.ts';
import type { Detection, FormatHandler, LoadResult, Sample } from '../../src-main/engine/ingest/types.ts';
import type { IngestOptions } from '../../src-main/shared/domain.ts';

export const FIX = resolve(fileURLToPath(new URL('../fixtures/json', import.meta.url)));
export const fix = (p: string) => join(FIX, p);

export function sampleOf(path: string, displayPath = path): Sample {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n).toString('utf8');
    const firstLine = head.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
    return { displayPath, head, firstLine };
  } finally {
    closeSync(fd);
  }
}

export function detect(path: string): { handler: FormatHandler; detection: Detection } | null {
  const sample = sampleOf(path);
  let best: { handler: FormatHandler; detection: Detection } | null = null;
  for (const h of handlers) {
    const d = h.detect(sample);
    if (d && (!best || d.confidence > best.detection.confidence)) best = { handler: h, detection: d };
  }
  return best;
}

export class Case {
  readonly dir = mkdtempSync(join(tmpdir(), 'tscope-json-'));
  readonly path = join(this.dir, 'case.tscope');
  db!: Db;
  async open(): Promise<this> {
    this.db = await Db.open(this.path, { threads: 2 });
    return this;
  }
  async ingest(path: string, options: IngestOptions = {}, displayPath = path, force?: FormatHandler): Promise<{ sourceId: number; detection: Detection; result: LoadResult }> {
    const found = force ? { handler: force, detection: { kind: 'unknown' as const, format: 'forced', confidence: 0 } } : detect(path);
    if (!found) throw new Error(`no handler claims ${path}`);
    const { handler, detection } = found;
    return this.db.use((conn) =>
      conn.transaction(async () => {
        const row = await conn.one<{ id: number }>(
          `INSERT INTO sources (path, kind, format, sha256, bytes) VALUES ($p, $k, $f, $h, $b) RETURNING source_id AS id`,
          { p: displayPath, k: detection.kind, f: detection.format, h: createHash('sha256').update(readFileSync(path)).digest('hex'), b: statSync(path).size },
        );
        const sourceId = row!.id;
        const result = await handler.load({
          conn, sourceId, localPath: path, displayPath, detection, options, sample: sampleOf(path, displayPath),
          signal: new AbortController().signal, progress: () => {},
        });
        await conn.run(
          `UPDATE sources SET lines_read = $l, records = $r, quarantined = $q, blank_lines = $b, time_min = $t0::TIMESTAMPTZ,
                  time_max = $t1::TIMESTAMPTZ, status = $s, message = $m WHERE source_id = $id`,
          { l: result.linesRead, r: result.records, q: result.quarantined, b: result.blankLines, t0: result.timeMin, t1: result.timeMax,
            s: result.status ?? 'complete', m: result.message ?? null, id: sourceId },
        );
        return { sourceId, detection, result };
      }),
    );
  }
  all<T = Record<string, unknown>>(sql: string, params?: Record<string, string | number>): Promise<T[]> {
    return this.db.all<T>(sql, params);
  }
  async close(): Promise<void> {
    if (this.db && !this.db.isClosed) await this.db.close();
  }
  async dispose(): Promise<void> {
    await this.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Cases and temp folders a test file opens, closed and removed after each test. */
export function caseScope(): { open(): Promise<Case>; tmpDir(prefix: string): string } {
  const cases: Case[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of cases.splice(0)) await c.dispose();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    async open() {
      const c = await new Case().open();
      cases.push(c);
      return c;
    },
    tmpDir(prefix) {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}
