import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Db } from '../../engine/db/index.ts';
import { caseSummary } from '../../engine/ingest/summary.ts';
import type { CaseSummary } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope info <file.tscope> [--json]

Shows the sources in a case file with their counts, the record counts per kind, the overall time
range and the VPN connections and tunnels it knows. Opens the file read-only.`;

export const command: Command = {
  summary: 'show what a case file holds: sources, counts, time range, tunnels',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new AppError('bad-argument', 'Give exactly one case file: tunnelscope info <file.tscope>.');
    const path = positionals[0]!;
    if (!existsSync(path)) throw new AppError('not-found', `${path} does not exist.`);
    const db = await Db.open(path, { readOnly: true, externalAccess: false });
    try {
      const s = await caseSummary(db, path);
      process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : render(s));
    } finally {
      await db.close();
    }
    return EXIT.ok;
  },
};

function render(s: CaseSummary): string {
  const out: string[] = [];
  out.push(`${s.path} (case format ${s.formatVersion})`);
  out.push(`Time range: ${s.timeMin ?? '-'} .. ${s.timeMax ?? '-'}`);
  out.push('Records:');
  for (const [k, n] of Object.entries(s.counts)) out.push(`  ${k.padEnd(15)} ${String(n).padStart(10)}`);
  out.push(`Sources (${s.sources.length}):`);
  for (const src of s.sources) {
    const extra = [src.headerLines ? `${src.headerLines} headers` : '', src.overlapRecords ? `${src.overlapRecords} already present` : '', src.status === 'partial' ? 'PARTIAL' : '']
      .filter(Boolean)
      .join(', ');
    out.push(
      `  #${src.sourceId} ${src.kind}/${src.format ?? '-'} ${src.records} records, ${src.quarantined} quarantined of ${src.linesRead} lines${extra ? `, ${extra}` : ''}  ${src.path}`,
    );
    if (src.message) out.push(`      ${src.message}`);
  }
  if (s.tunnels.length) {
    out.push('VPN tunnels:');
    for (const t of s.tunnels) {
      out.push(`  ${t.vpnId} tunnel ${t.tunnelIndex ?? '?'} ${t.tunnelIp}${t.insideCidr ? ` inside ${t.insideCidr}` : ''}${t.attachmentId ? ` via ${t.attachmentId}` : ''}${t.status ? ` ${t.status}` : ''} (from ${t.origin})`);
    }
  } else {
    out.push('VPN tunnels: none known (import describe-vpn-connections output or AWS/VPN metrics)');
  }
  if (s.unattributedSeries.length) out.push(`Metric series not tied to a tunnel: ${s.unattributedSeries.join(', ')} (use ingest --attribute)`);
  return out.join('\n') + '\n';
}
