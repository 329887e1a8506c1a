/**
 * `npm run bench:ingest`: ≥ 2 M flow records (VPC custom v5 + TGW v6, 5-minute .log.gz files) →
 * records/s of Tunnelscope ingest vs. a bare DuckDB read_csv of the same files, and peak RSS.
 *
 * The machine is shared, so one pair of runs says little: the two run alternately (A B A B …,
 * BENCH_ROUNDS rounds, default 3, at least 2), each in its own child process on a fresh case or
 * database, and the ratio is of the medians. Every run is printed with the load average at its
 * start. Sizes: BENCH_VPC_RECORDS / BENCH_TGW_RECORDS. Keeps the data with BENCH_KEEP=1.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bulkData, hasIngestCli, loadAverage, median, rate, runChild, tsxArgs, type ChildResult } from './common.ts';

const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 3));

interface Run extends ChildResult {
  records: number;
  load: string;
}

async function main(): Promise<void> {
  const data = await bulkData();
  const exportDir = join(data.dir, 'export');
  const child = join(import.meta.dirname ?? 'test/bench', 'child.ts');
  const fresh = (name: string) => {
    const p = join(data.dir, name);
    for (const s of ['', '.wal', '.tmp']) rmSync(p + s, { recursive: true, force: true });
    return p;
  };
  const ingest = async (): Promise<Run> => {
    const load = loadAverage();
    const casePath = fresh('x.tscope');
    const r = hasIngestCli()
      ? await runChild(process.execPath, ['src-main/cli/bin.mjs', 'ingest', exportDir, '--case', casePath, '--json'], { quiet: true })
      : await runChild(...tsxArgs(child, ['ingest', exportDir, casePath]), { quiet: true });
    fresh('x.tscope');
    return { ...r, load, records: Number(/"records":\s*(\d+)/.exec(r.stdout)?.[1] ?? 0) };
  };
  const bare = async (): Promise<Run> => {
    const load = loadAverage();
    const r = await runChild(...tsxArgs(child, ['readcsv', exportDir, fresh('bare.duckdb')]), { quiet: true });
    fresh('bare.duckdb');
    return { ...r, load, records: Number(/"records":(\d+)/.exec(r.stdout)?.[1] ?? 0) };
  };
  const show = (what: string, i: number, r: Run) =>
    console.log(`${what} run ${i + 1}: ${r.seconds.toFixed(1)} s = ${rate(r.records, r.seconds)}, peak RSS ${r.peakRssMb.toFixed(0)} MB (load average at start ${r.load})`);

  try {
    const ing: Run[] = [];
    const csv: Run[] = [];
    console.log(`load average before: ${loadAverage()}; ${ROUNDS} rounds, ingest and read_csv alternating`);
    for (let i = 0; i < ROUNDS; i++) {
      ing.push(await ingest());
      show('tunnelscope ingest  ', i, ing[i]!);
      csv.push(await bare());
      show('bare read_csv       ', i, csv[i]!);
    }
    const ingS = median(ing.map((r) => r.seconds));
    const csvS = median(csv.map((r) => r.seconds));
    const records = ing[0]!.records;
    const csvRecords = csv[0]!.records;
    console.log('');
    console.log(`tunnelscope ingest (${hasIngestCli() ? 'CLI' : 'in-process service'}): median ${ingS.toFixed(1)} s = ${rate(records, ingS)}, peak RSS ${Math.max(...ing.map((r) => r.peakRssMb)).toFixed(0)} MB (max of runs)`);
    console.log(`bare DuckDB read_csv (auto-detect):  median ${csvS.toFixed(1)} s = ${rate(csvRecords, csvS)}, peak RSS ${Math.max(...csv.map((r) => r.peakRssMb)).toFixed(0)} MB (max of runs)`);
    console.log(`ratio of medians, ingest / read_csv records/s: ${(records / ingS / (csvRecords / csvS)).toFixed(2)}  (per round: ${ing.map((r, i) => (records / r.seconds / (csvRecords / csv[i]!.seconds)).toFixed(2)).join(', ')})`);
    console.log(`load average after: ${loadAverage()}`);
    for (const r of ing) if (r.records !== data.records) console.log(`WARNING: an ingest run stored ${r.records} of ${data.records} generated records`);
  } finally {
    if (!process.env.BENCH_KEEP) data.cleanup();
    else console.log(`data kept in ${data.dir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
