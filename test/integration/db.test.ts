import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Db } from '../../src-main/engine/db/index.ts';
import { FORMAT_VERSION } from '../../src-main/engine/db/schema/index.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tscope-db-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Db', () => {
  it('moveTo: a query already running finishes on the old file, later calls read the new one, close ends both', async () => {
    const d = tmp();
    const a = join(d, 'a.tscope');
    const b = join(d, 'b.tscope');
    for (const [p, reason] of [[a, 'from a'], [b, 'from b']] as const) {
      const w = await Db.open(p);
      await w.run('INSERT INTO quarantine VALUES (1, $f, 1, $r, $r)', { f: p, r: reason });
      await w.close();
    }
    const db = await Db.open(a, { readOnly: true, migrate: false });
    expect(db.readOnly).toBe(true);
    // Takes its connection from a's instance now, and runs while the handle moves.
    const running = db.one<{ r: string; n: number }>("SELECT (SELECT reason FROM quarantine) AS r, sum(hash(i) % 7)::BIGINT AS n FROM range(3000000) t(i)");
    await db.moveTo(b);
    expect(db.path).toBe(b);
    expect(db.readOnly).toBe(false);
    expect((await running)?.r).toBe('from a');
    expect(await db.one('SELECT reason FROM quarantine')).toEqual({ reason: 'from b' });
    await db.run("INSERT INTO quarantine VALUES (1, 'x', 2, 'raw', 'written after the move')");
    await db.close();
    // a's instance was closed once its query returned: both files open again, a unchanged.
    const check = await Db.open(a, { readOnly: true, migrate: false });
    expect(await check.all('SELECT reason FROM quarantine')).toEqual([{ reason: 'from a' }]);
    await check.close();
    const checkB = await Db.open(b, { readOnly: true, migrate: false });
    expect((await checkB.all('SELECT reason FROM quarantine ORDER BY line')).map((r) => r.reason)).toEqual(['from b', 'written after the move']);
    await checkB.close();
  });

  it('creates a case file at the current format version and reopens it', async () => {
    const path = join(tmp(), 'a.tscope');
    const db = await Db.open(path);
    expect(await db.one("SELECT value FROM meta WHERE key = 'format_version'")).toEqual({ value: String(FORMAT_VERSION) });
    await db.run("INSERT INTO quarantine VALUES (1, 'f.log', 3, 'junk', 'wrong field count')");
    await db.close();
    const again = await Db.open(path);
    expect(await again.all('SELECT line, reason FROM quarantine')).toEqual([{ line: 3, reason: 'wrong field count' }]);
    await again.close();
  });

  it('keeps account IDs as text and converts bigints to numbers', async () => {
    const db = await Db.open(':memory:');
    const row = await db.one("SELECT '000123456789' AS account, 9007199254740993::BIGINT AS big, 5::BIGINT AS small");
    expect(row).toEqual({ account: '000123456789', big: '9007199254740993', small: 5 });
    await db.close();
  });

  it('refuses a file written by a newer version with a clear message', async () => {
    const path = join(tmp(), 'new.tscope');
    const db = await Db.open(path);
    await db.run("UPDATE meta SET value = '999' WHERE key = 'format_version'");
    await db.close();
    await expect(Db.open(path)).rejects.toMatchObject({ code: 'case-too-new' });
  });

  it('never loads extensions from the network', async () => {
    const db = await Db.open(':memory:');
    const rows = await db.all<{ name: string; value: string }>(
      "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions') ORDER BY name",
    );
    expect(rows.map((r) => r.value)).toEqual(['false', 'false']);
    await db.close();
  });
});
