/** Shared by the ingest tests: temp dirs, a fresh in-memory case, and ingest + accounting checks. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { ingestPaths } from '../../src-main/engine/ingest/service.ts';
import type { IngestOptions, IngestSummary } from '../../src-main/shared/domain.ts';

export const FIX = resolve(__dirname, '../fixtures/conformance');

const dirs: string[] = [];
export function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tscope-ingest-test-'));
  dirs.push(d);
  return d;
}
export function cleanTmp(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface SourceRow {
  source_id: number;
  path: string;
  kind: string;
  format: string;
  fields: string | null;
  lines_read: number;
  records: number;
  header_lines: number;
  blank_lines: number;
  overlap_records: number;
  quarantined: number;
  status: string;
  message: string | null;
  time_min: string | null;
  time_max: string | null;
}

export async function sources(db: Db): Promise<SourceRow[]> {
  return db.all<SourceRow>('SELECT * FROM sources ORDER BY source_id');
}

/** Every line is exactly one of row, header, blank, overlap duplicate or quarantine row. */
export async function expectAccounting(db: Db): Promise<void> {
  for (const s of await sources(db)) {
    expect(s.lines_read, `${s.path}: lines_read = records + headers + blanks + overlap + quarantined`).toBe(
      s.records + s.header_lines + s.blank_lines + s.overlap_records + s.quarantined,
    );
    const table = s.kind === 'tgw_flows' ? 'tgw_flows' : s.kind === 'vpc_flows' ? 'vpc_flows' : null;
    if (table) {
      const n = await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE source_id = $id`, { id: s.source_id });
      expect(n!.n, `${s.path}: rows in ${table}`).toBe(s.records);
    }
    const q = await db.one<{ n: number }>('SELECT count(*) AS n FROM quarantine WHERE source_id = $id', { id: s.source_id });
    expect(q!.n, `${s.path}: quarantine rows`).toBe(s.quarantined);
  }
}

export async function withCase<T>(fn: (db: Db) => Promise<T>, path = ':memory:'): Promise<T> {
  const db = await Db.open(path);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function ingest(db: Db, paths: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  const s = await ingestPaths(db, paths, options);
  await expectAccounting(db);
  return s;
}
