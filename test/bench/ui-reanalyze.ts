/**
 * Worker of `npm run bench:ui` for a cached case whose analysis tables (migration 002) changed
 * shape while the raw tables (001) did not: recreates the 002 tables from the current DDL, as a
 * fresh case would have them, and reruns runAnalysis, instead of ingesting millions of records
 * again. Prints one JSON line like child.ts analyze.
 *   ui-reanalyze.ts <case.tscope>
 */
import { Db } from '../../src-main/engine/db/index.ts';
import { analysisSchema } from '../../src-main/engine/db/schema/002-analysis.ts';
import { runAnalysis } from '../../src-main/engine/analysis/run.ts';

async function main(): Promise<void> {
  const t0 = performance.now();
  const db = await Db.open(process.argv[2]!);
  try {
    const tables = [...analysisSchema.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/gi)].map((m) => m[1]!);
    for (const t of tables.reverse()) await db.run(`DROP TABLE IF EXISTS ${t}`);
    await db.run(analysisSchema);
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
