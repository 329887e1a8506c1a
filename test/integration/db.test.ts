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
