/**
 * Corruption injector: damages a generated export in place and says exactly what ingest must
 * quarantine. Bad lines are INSERTED (good records stay), so the generator's record counts still
 * hold except for the truncated file, whose recoverable line count is reported.
 */
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync, gunzipSync, constants } from 'node:zlib';
import { Rng } from './prng.ts';

export type CorruptionReason = 'field-count' | 'bad-number' | 'bad-timestamp' | 'junk' | 'bad-json';

export interface CorruptionResult {
  /** Lines/items ingest must quarantine (all damaged lines; excludes the cut line of truncated files). */
  expectedQuarantine: number;
  byReason: Record<CorruptionReason, number>;
  /** Per damaged file: what was done. */
  files: { path: string; inserted: { line: number; reason: CorruptionReason }[] }[];
  /** Gzip files cut short: the complete lines (header included) still recoverable, and the records among them. */
  truncated: { path: string; completeLines: number; records: number; recordsLost: number }[];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function damage(line: string, reason: CorruptionReason, rng: Rng, startIdx: number, endIdx: number, packetsIdx: number): string {
  const f = line.split(' ');
  switch (reason) {
    case 'field-count':
      return rng.chance(0.5) ? f.slice(0, -2).join(' ') : [...f, 'extra-field'].join(' ');
    case 'bad-number':
      f[packetsIdx] = `${f[packetsIdx]}x`;
      return f.join(' ');
    case 'bad-timestamp':
      // end before start by more than a day: no aggregation window can produce that.
      f[endIdx] = String(Number(f[startIdx]) - 172_800);
      return f.join(' ');
    case 'junk': {
      let s = '';
      for (let i = 0; i < 40; i++) s += String.fromCharCode(rng.pick([0x00, 0x01, 0x1f, 0x8b, 0x7f, 0xfe, 0xc3, 0x28, 0x3f, 0x5c]));
      return s;
    }
    default:
      return line;
  }
}

/**
 * Damages: one S3 VPC flow file (each text reason once or more), one TGW file, one CloudWatch
 * export chunk, one tunnel-log JSON event (message that is not JSON), the VPN connection dump
 * (object where an array is expected: the whole file), and cuts one more S3 VPC file short.
 */
export async function corruptExport(dir: string, opts: { seed: number }): Promise<CorruptionResult> {
  const rng = new Rng(opts.seed ^ 0xbad);
  const all = walk(dir).map((p) => relative(dir, p));
  const res: CorruptionResult = { expectedQuarantine: 0, byReason: { 'field-count': 0, 'bad-number': 0, 'bad-timestamp': 0, junk: 0, 'bad-json': 0 }, files: [], truncated: [] };
  const count = (r: CorruptionReason) => { res.byReason[r]++; res.expectedQuarantine++; };

  const textTargets: { rel: string; prefix: boolean }[] = [];
  const vpcS3 = all.filter((p) => p.endsWith('.log.gz') && p.includes('fl-07c3a9e1d5b2f4086'));
  const tgwS3 = all.filter((p) => p.endsWith('.log.gz') && p.includes('fl-0b9d7f5e3c1a2b4d6'));
  const cwl = all.filter((p) => p.startsWith('cwl-export/') && p.endsWith('.gz'));
  if (vpcS3.length) textTargets.push({ rel: vpcS3[Math.floor(vpcS3.length / 2)]!, prefix: false });
  if (tgwS3.length) textTargets.push({ rel: tgwS3[Math.floor(tgwS3.length / 3)]!, prefix: false });
  if (cwl.length) textTargets.push({ rel: cwl[0]!, prefix: true });

  for (const t of textTargets) {
    const abs = join(dir, t.rel);
    const lines = gunzipSync(readFileSync(abs)).toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const header = t.prefix ? null : lines[0]!.split(' ');
    const idx = (name: string, fallback: number) => (header ? header.indexOf(name) : fallback);
    // CloudWatch export lines carry the ISO prefix as token 0; the layout is TGW_ENI_FIELDS shifted by one.
    const startIdx = idx('start', 18);
    const endIdx = idx('end', 19);
    const packetsIdx = idx('packets', 20);
    const reasons: CorruptionReason[] = ['field-count', 'bad-number', 'bad-timestamp', 'junk', 'field-count'];
    const marks: { bad: string; reason: CorruptionReason }[] = [];
    const firstData = t.prefix ? 0 : 1;
    const src = lines.slice(firstData).find((l) => / OK( |$)/.test(l)) ?? lines[firstData]!;
    for (const reason of reasons) {
      const bad = damage(src, reason, rng, startIdx, endIdx, packetsIdx);
      lines.splice(firstData + rng.int(0, lines.length - firstData), 0, bad);
      marks.push({ bad, reason });
      count(reason);
    }
    const inserted = marks.map((m) => ({ line: lines.indexOf(m.bad) + 1, reason: m.reason }));
    writeFileSync(abs, gzipSync(Buffer.from(lines.join('\n') + '\n', 'utf8'), { level: 6 }));
    res.files.push({ path: t.rel, inserted });
  }

  const tunnelLog = all.find((p) => p === 'vpn-logs/tunnel-activity.json');
  if (tunnelLog) {
    const abs = join(dir, tunnelLog);
    const text = readFileSync(abs, 'utf8');
    // The first event's message becomes a JSON document cut in the middle.
    const broken = text.replace(/("message": ")[^\n]*(",\n)/, (_m, a: string, c: string) => `${a}{\\"event_timestamp\\":17${c}`);
    if (broken !== text) {
      writeFileSync(abs, broken);
      res.files.push({ path: tunnelLog, inserted: [{ line: 1, reason: 'bad-json' }] });
      count('bad-json');
    }
  }

  const vpnDump = all.find((p) => p === 'config/describe-vpn-connections.json');
  if (vpnDump) {
    const abs = join(dir, vpnDump);
    const doc = JSON.parse(readFileSync(abs, 'utf8')) as { VpnConnections: unknown[] };
    writeFileSync(abs, JSON.stringify({ VpnConnections: doc.VpnConnections[0] }, null, 4) + '\n');
    res.files.push({ path: vpnDump, inserted: [{ line: 0, reason: 'bad-json' }] });
    count('bad-json');
  }

  const cut = vpcS3.filter((p) => !textTargets.some((t) => t.rel === p));
  if (cut.length) {
    const rel = cut[cut.length - 1]!;
    const abs = join(dir, rel);
    const gz = readFileSync(abs);
    const full = gunzipSync(gz).toString('utf8').split('\n').filter((l) => l !== '').length;
    const short = gz.subarray(0, Math.floor(gz.length * 0.6));
    writeFileSync(abs, short);
    const text = gunzipSync(short, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    const completeLines = text.split('\n').length - 1;
    res.truncated.push({ path: rel, completeLines, records: Math.max(0, completeLines - 1), recordsLost: full - Math.max(1, completeLines) });
  }
  void rng;
  return res;
}
