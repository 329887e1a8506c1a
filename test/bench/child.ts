/**
 * Benchmark worker, run in its own process so its peak RSS is measured alone:
 *   child.ts ingest <dir> <case>      the real ingest service
 *   child.ts readcsv <dir> <case>     bare DuckDB read_csv with auto-detection (toolchain.md's baseline)
 *   child.ts analyze <case>           runAnalysis on an ingested case
 * Prints one JSON line.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '../../src-main/engine/db/index.ts';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.log.gz')) out.push(p);
  }
  return out;
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const t0 = performance.now();
  const result: Record<string, unknown> = { mode };
  if (mode === 'ingest') {
    const { ingestPaths } = await import('../../src-main/engine/ingest/service.ts');
    const db = await Db.open(b!);
    try {
      const s = await ingestPaths(db, [a!]);
      result.records = s.records;
      result.quarantined = s.quarantined;
    } finally {
      await db.close();
    }
  } else if (mode === 'readcsv') {
    const db = await Db.open(b!);
    try {
      let n = 0;
      for (const sub of ['vpc', 'tgw']) {
        const list = files(join(a!, sub));
        if (!list.length) continue;
        const arr = `[${list.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}]`;
        await db.run(`CREATE TABLE bench_${sub} AS SELECT * FROM read_csv(${arr}, delim=' ', header=true)`);
        n += (await db.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM bench_${sub}`))!.n;
      }
      result.records = n;
    } finally {
      await db.close();
    }
  } else if (mode === 'analyze') {
    const { runAnalysis } = await import('../../src-main/engine/analysis/run.ts');
    const db = await Db.open(a!);
    try {
      const r = await runAnalysis(db);
      result.findings = r.findings.length;
      result.timings = r.timings;
    } finally {
      await db.close();
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  result.seconds = (performance.now() - t0) / 1000;
  result.maxRssKb = process.resourceUsage().maxRSS;
  console.log(JSON.stringify(result));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
