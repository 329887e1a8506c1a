/** Shared pieces of the ingest/analysis benchmarks: bulk data, child processes, peak RSS. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBulkFlowExport } from '../helpers/generator/index.ts';

export const VPC_RECORDS = Number(process.env.BENCH_VPC_RECORDS ?? 1_400_000);
export const TGW_RECORDS = Number(process.env.BENCH_TGW_RECORDS ?? 600_000);

export async function bulkData(): Promise<{ dir: string; records: number; genSeconds: number; cleanup: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tscope-bench-'));
  const t0 = performance.now();
  const r = await writeBulkFlowExport(join(dir, 'export'), { vpcRecords: VPC_RECORDS, tgwRecords: TGW_RECORDS, seed: 42 });
  const genSeconds = (performance.now() - t0) / 1000;
  console.log(`generated ${(r.vpcRecords + r.tgwRecords).toLocaleString('en-US')} records in ${r.files.length} .log.gz files (${(r.bytes / 1e6).toFixed(0)} MB uncompressed) in ${genSeconds.toFixed(1)} s`);
  return { dir, records: r.vpcRecords + r.tgwRecords, genSeconds, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildResult { seconds: number; peakRssMb: number; stdout: string }

/**
 * Run a command, polling /proc/<pid>/status for VmHWM (peak resident set) of the process.
 * `quiet`: keep its stderr (progress lines) off the terminal, shown only if it fails.
 */
export function runChild(cmd: string, args: string[], opts: { quiet?: boolean } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', opts.quiet ? 'pipe' : 'inherit'] });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let hwmKb = 0;
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        /* process gone */
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      const seconds = (performance.now() - t0) / 1000;
      // The child also reports its own maxRSS, which covers the time after the last poll.
      const own = /"maxRssKb":(\d+)/.exec(stdout);
      if (own) hwmKb = Math.max(hwmKb, Number(own[1]));
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stdout}\n${stderr}`));
      else resolve({ seconds, peakRssMb: hwmKb / 1024, stdout });
    });
  });
}

export function tsxArgs(script: string, args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', script, ...args]];
}

export const hasIngestCli = () => existsSync(join(process.cwd(), 'src-main', 'cli', 'commands', 'ingest.ts'));

export const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString('en-US')} records/s`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The 1/5/15-minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}
