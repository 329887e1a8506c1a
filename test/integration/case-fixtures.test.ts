import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CaseSession, caseFileInfo } from '../../src-main/engine/case/session.ts';
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
