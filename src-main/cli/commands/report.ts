import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { exportReport } from '../../engine/case/report.ts';
import { CaseSession } from '../../engine/case/session.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope report <file.tscope> --out <report.html|report.md> [--format html|md]

Writes the incident report: summary, findings with their numbers, evidence and review, timeline
charts (per-tunnel bytes in/out, rejects, handshake failures), the tunnel and BGP event log and the
notes, in time order. HTML is one self-contained file (no scripts, no network); Markdown is for
pasting into a ticket. The format follows the --out extension unless --format says otherwise.`;

export const command: Command = {
  summary: 'write the incident report as self-contained HTML or Markdown',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new AppError('bad-argument', 'Give exactly one case file: tunnelscope report <file.tscope> --out report.html.');
    if (!values.out) throw new AppError('bad-argument', 'Say where the report goes: --out report.html (or report.md).');
    const format = values.format ?? (/^\.(md|markdown)$/i.test(extname(values.out)) ? 'md' : 'html');
    if (format !== 'html' && format !== 'md') throw new AppError('bad-argument', `--format is html or md, not '${format}'.`);
    const s = await CaseSession.open(positionals[0]!, { readOnly: true, autosaveMs: 0 });
    try {
      const out = await exportReport(s, { out: values.out, format });
      process.stdout.write(`Wrote ${out}\n`);
      return EXIT.ok;
    } finally {
      await s.close();
    }
  },
};
