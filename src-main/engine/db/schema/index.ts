import { AppError } from '../../../shared/result.ts';
import type { Conn } from '../index.ts';
import { coreSchema } from './001-core.ts';
import { analysisSchema } from './002-analysis.ts';
import { caseSchema } from './003-case.ts';
import { convTextSchema } from './004-conv-text.ts';

/**
 * Each migration moves a case file from version N-1 to N. Append only: a released migration never
 * changes, and a fixture of every released version lives in test/fixtures/cases/.
 */
export const migrations: { version: number; name: string; sql: string }[] = [
  { version: 1, name: 'core', sql: coreSchema },
  { version: 2, name: 'analysis', sql: analysisSchema },
  { version: 3, name: 'case', sql: caseSchema },
  { version: 4, name: 'conversation text', sql: convTextSchema },
];

export const FORMAT_VERSION = migrations[migrations.length - 1]!.version;

export async function formatVersion(c: Conn): Promise<number> {
  const hasMeta = await c.one<{ n: number }>(
    "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'meta' AND table_schema = 'main'",
  );
  if (!hasMeta?.n) return 0;
  const row = await c.one<{ value: string }>("SELECT value FROM meta WHERE key = 'format_version'");
  return row ? Number(row.value) : 0;
}

export async function migrate(c: Conn): Promise<void> {
  const current = await formatVersion(c);
  if (current > FORMAT_VERSION) {
    throw new AppError(
      'case-too-new',
      `This investigation file was written by a newer Tunnelscope (format ${current}; this version reads up to ${FORMAT_VERSION}). Update Tunnelscope to open it.`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    await c.transaction(async () => {
      await c.run(m.sql);
      await c.run("INSERT OR REPLACE INTO meta VALUES ('format_version', $v)", { v: String(m.version) });
      if (m.version === 1) await c.run("INSERT OR REPLACE INTO meta VALUES ('created_at', $t)", { t: new Date().toISOString() });
    });
  }
}
