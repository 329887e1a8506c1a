/**
 * Worker of `npm run bench:ui` for a cached case whose analysis tables changed shape while the raw
 * tables (001) did not: opens it (which applies newer migrations, as for a user's file), with
 * --recreate also recreates the 002 tables from the current DDL plus the later migrations that alter
 * them, as a fresh case would have them, and reruns runAnalysis, instead of ingesting millions of
 * records again. Prints one JSON line like child.ts analyze.
 *   ui-reanalyze.ts <case.tscope> [--recreate]
 */
import { Db } from '../../src-main/engine/db/index.ts';
import { analysisSchema } from '../../src-main/engine/db/schema/002-analysis.ts';
import { migrations } from '../../src-main/engine/db/schema/index.ts';
import { runAnalysis } from '../../src-main/engine/analysis/run.ts';

async function main(): Promise<void> {
  const t0 = performance.now();
  const db = await Db.open(process.argv[2]!);
  try {
    if (process.argv.includes('--recreate')) {
      const tables = [...analysisSchema.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!);
      for (const t of [...tables].reverse()) await db.run(`DROP TABLE IF EXISTS ${t}`);
      await db.run(analysisSchema);
      // Later migrations that only alter these tables (004: conversation text columns).
      for (const m of migrations.filter((x) => x.version > 3)) {
        const targets = [...m.sql.matchAll(/ALTER TABLE (\w+)/gi)].map((x) => x[1]!);
        if (targets.length && targets.every((t) => tables.includes(t))) await db.run(m.sql);
      }
    }
    const r = await runAnalysis(db);
    console.log(JSON.stringify({ mode: 'reanalyze', findings: r.findings.length, timings: r.timings, seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS }));
  } finally {
    await db.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
