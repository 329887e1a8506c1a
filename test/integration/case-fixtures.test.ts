import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseSession, caseFileInfo } from '../../src-main/engine/case/session.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import { FORMAT_VERSION } from '../../src-main/engine/db/schema/index.ts';

const dir = resolve(__dirname, '../fixtures/cases');
const fixtures = readdirSync(dir).filter((f) => /^format-\d+\.tscope\.gz$/.test(f));
const work = mkdtempSync(join(tmpdir(), 'tscope-fixtures-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Expected {
  formatVersion: number;
  notes: unknown[];
  view: unknown;
  reviews: Record<string, unknown>;
  savedQueries: { name: string; sql: string }[];
  records: Record<string, number>;
}

let fresh = '';
beforeAll(async () => {
  fresh = join(work, 'fresh.tscope');
  const s = await CaseSession.create(fresh, { autosaveMs: 0 });
  await s.close();
});

async function columns(file: string): Promise<string[]> {
  const db = await Db.open(file, { readOnly: true, migrate: false });
  try {
    const rows = await db.all<{ c: string }>(
      "SELECT table_name || '.' || column_name || ' ' || data_type AS c FROM duckdb_columns() WHERE database_name = current_database() ORDER BY 1",
    );
    return rows.map((r) => r.c);
  } finally {
    await db.close();
  }
}

async function state(s: CaseSession) {
  return {
    notes: (await s.listNotes()).map(({ createdAt: _c, ...n }) => n),
    view: await s.getView(),
    reviews: Object.fromEntries(await s.reviews()),
    savedQueries: (await s.savedQueries()).map((q) => ({ name: q.name, sql: q.sql })),
  };
}

describe('released case file fixtures', () => {
  it('there is a fixture for the current format', () => {
    expect(fixtures).toContain(`format-${FORMAT_VERSION}.tscope.gz`);
  });

  for (const name of fixtures) {
    it(`${name}: opens, keeps every piece of state, migrates to format ${FORMAT_VERSION} and round-trips`, async () => {
      const expected = JSON.parse(readFileSync(join(dir, name.replace('.tscope.gz', '.expected.json')), 'utf8')) as Expected;
      const file = join(work, name.replace('.gz', ''));
      writeFileSync(file, gunzipSync(readFileSync(join(dir, name))));
      expect((await caseFileInfo(file)).formatVersion).toBe(expected.formatVersion);

      const s = await CaseSession.open(file, { autosaveMs: 0 });
      try {
        expect(s.migratedFrom).toBe(expected.formatVersion < FORMAT_VERSION ? expected.formatVersion : null);
        const got = await state(s);
        expect(got.notes).toEqual(expected.notes);
        expect(got.view).toEqual(expected.view);
        expect(got.reviews).toEqual(expected.reviews);
        expect(got.savedQueries).toEqual(expected.savedQueries);
        for (const [t, n] of Object.entries(expected.records)) {
          expect((await s.db.one<{ n: number }>(`SELECT count(*) AS n FROM ${t}`))!.n, t).toBe(n);
        }
        // The SQL console reads it; saved queries were listed, not run.
        expect((await s.runSql(expected.savedQueries[0]!.sql)).rows.length).toBeGreaterThan(0);
        await s.save();
      } finally {
        await s.close();
      }
      const info = await caseFileInfo(file);
      expect(info.formatVersion).toBe(FORMAT_VERSION);
      // After migration the schema is exactly what a new case gets (catches a released migration
      // edited in place instead of a new one appended).
      expect(await columns(file)).toEqual(await columns(fresh));
      const r = await CaseSession.open(file, { readOnly: true });
      try {
        const again = await state(r);
        expect(again.notes).toEqual(expected.notes);
        expect(again.reviews).toEqual(expected.reviews);
      } finally {
        await r.close();
      }
    });
  }
});
