import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { explainRoutes } from '../../engine/analysis/index.ts';
import { Db } from '../../engine/db/index.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope explain-routes <file.tscope> --prefix CIDR [--at TIME] [--json]

Explains which route AWS uses for a prefix (or address) at a moment: the candidate routes (VPC and
TGW route tables, VPN static routes, BGP routes per tunnel with AS path and MED from the tunnel BGP
log), the documented evaluation order step by step, and whether ECMP applies.
  --prefix CIDR   e.g. 172.16.0.0/16 or 172.16.20.10
  --at TIME       ISO 8601 time (default: the last BGP log record)
  --json          print the explanation as JSON`;

export const command: Command = {
  summary: 'explain which route (and tunnel) AWS picks for a prefix at a given time, and why',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { prefix: { type: 'string', short: 'p' }, at: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    const file = positionals[0];
    if (!file || positionals.length > 1) throw new AppError('bad-argument', 'Give exactly one .tscope case file.');
    if (!existsSync(file)) throw new AppError('not-found', `${file} does not exist.`);
    if (!values.prefix) throw new AppError('bad-argument', 'Say which destination to explain with --prefix CIDR (e.g. --prefix 172.16.0.0/16).');
    if (values.at && Number.isNaN(Date.parse(values.at))) throw new AppError('bad-argument', `--at '${values.at}' is not an ISO 8601 time (e.g. 2026-11-20T13:30:00Z).`);
    const db = await Db.open(file, { readOnly: true });
    try {
      const ex = await explainRoutes(db, values.prefix, values.at);
      if (values.json) {
        process.stdout.write(JSON.stringify(ex, null, 2) + '\n');
        return EXIT.ok;
      }
      const lines = [`Routes for ${ex.prefix} at ${ex.at ?? 'the latest state'}`, ''];
      for (const c of ex.candidates) {
        const bgp = c.asPath !== undefined ? ` AS path '${c.asPath}' (${c.asPathLength ?? '?'})${c.med !== undefined ? ` MED ${c.med}` : ''}` : '';
        lines.push(`${c.chosen ? ' * ' : '   '}${c.destination.padEnd(18)} ${c.source.padEnd(11)} ${c.target}${bgp}  [${c.state}]  ${c.table}`);
        lines.push(`      ${c.reason}`);
      }
      lines.push('', 'Decision:');
      ex.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s}`));
      lines.push('', `ECMP: ${ex.ecmp.applies ? 'yes' : 'no'}: ${ex.ecmp.reason}`, '');
      process.stdout.write(lines.join('\n'));
      return EXIT.ok;
    } finally {
      await db.close();
    }
  },
};
