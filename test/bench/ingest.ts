/**
 * `npm run bench:ingest`: ≥ 2 M flow records (VPC custom v5 + TGW v6, 5-minute .log.gz files) →
 * records/s of Tunnelscope ingest vs. a bare DuckDB read_csv of the same files, and peak RSS.
 * Sizes: BENCH_VPC_RECORDS / BENCH_TGW_RECORDS. Keeps the data with BENCH_KEEP=1.
 */
import { join } from 'node:path';
import { bulkData, runChild, tsxArgs, hasIngestCli, rate } from './common.ts';

async function main(): Promise<void> {
  const data = await bulkData();
  const exportDir = join(data.dir, 'export');
  try {
    const child = join(import.meta.dirname ?? 'test/bench', 'child.ts');
    const ing = hasIngestCli()
      ? await runChild(process.execPath, ['src-main/cli/bin.mjs', 'ingest', exportDir, '--case', join(data.dir, 'x.tscope'), '--json'])
      : await runChild(...tsxArgs(child, ['ingest', exportDir, join(data.dir, 'x.tscope')]));
    const csv = await runChild(...tsxArgs(child, ['readcsv', exportDir, join(data.dir, 'bare.duckdb')]));
    const ingRecords = Number(/"records":\s*(\d+)/.exec(ing.stdout)?.[1] ?? data.records);
    const csvRecords = Number(/"records":(\d+)/.exec(csv.stdout)?.[1] ?? 0);
    // Wall time of each process includes Node/tsx start-up (≈1 s); read_csv's own time is reported too.
    const csvInner = Number(/"seconds":([\d.]+)/.exec(csv.stdout)?.[1] ?? csv.seconds);
    console.log('');
    console.log(`tunnelscope ingest (${hasIngestCli() ? 'CLI' : 'in-process service'}): ${ingRecords.toLocaleString('en-US')} records in ${ing.seconds.toFixed(1)} s = ${rate(ingRecords, ing.seconds)}, peak RSS ${ing.peakRssMb.toFixed(0)} MB`);
    console.log(`bare DuckDB read_csv (auto-detect):  ${csvRecords.toLocaleString('en-US')} records in ${csv.seconds.toFixed(1)} s = ${rate(csvRecords, csv.seconds)}, peak RSS ${csv.peakRssMb.toFixed(0)} MB`);
    console.log(`  (read_csv time inside its process, without start-up: ${csvInner.toFixed(1)} s = ${rate(csvRecords, csvInner)})`);
    console.log(`ratio ingest / read_csv (wall): ${(ingRecords / ing.seconds / (csvRecords / csv.seconds)).toFixed(2)}`);
    if (ingRecords !== data.records) console.log(`WARNING: ingest stored ${ingRecords} of ${data.records} generated records`);
  } finally {
    if (!process.env.BENCH_KEEP) data.cleanup();
    else console.log(`data kept in ${data.dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
