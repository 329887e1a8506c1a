import { parseArgs } from 'node:util';
import { redactCase } from '../../engine/case/redact.ts';
import { CaseSession } from '../../engine/case/session.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope redact <file.tscope> --out <shared.tscope> [--drop-records] [--drop-notes] [--json]

Writes a NEW case file to share: every IP address is pseudonymised prefix-preservingly (subnets stay
subnets, private stays private, the same address always gets the same pseudonym), account IDs and
AWS resource IDs (eni-, vpc-, tgw-attach-, vpn-, cgw-, …) get consistent stand-ins of the same shape,
file paths become file names, and notes and saved queries are rewritten the same way. The key is
random and never written anywhere. Before the file is written, every value and the file's bytes are
checked for any original identifier; if one is found, nothing is written.
  --drop-records  leave out raw records (flows, log events, quarantine, config snapshots); keep
                  findings, rollups, metrics, tunnels and routes
  --drop-notes    leave out notes and bookmarks and the text of finding reviews
With records kept, analysis runs again on the redacted data.`;

export const command: Command = {
  summary: 'write a redacted copy of a case file to share (addresses and IDs pseudonymised)',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string', short: 'o' }, 'drop-records': { type: 'boolean' }, 'drop-notes': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (positionals.length !== 1) throw new AppError('bad-argument', 'Give exactly one case file: tunnelscope redact <file.tscope> --out <shared.tscope>.');
    if (!values.out) throw new AppError('bad-argument', 'Say where the redacted copy goes: --out <shared.tscope>.');
    const s = await CaseSession.open(positionals[0]!, { readOnly: true, autosaveMs: 0 });
    try {
      const r = await redactCase(s, { out: values.out, keepRecords: !values['drop-records'], keepNotes: !values['drop-notes'] });
      if (values.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
      else {
        process.stdout.write(
          `Wrote ${r.path}: ${r.valuesRewritten} distinct values rewritten in ${r.columnsRewritten} columns` +
            (r.emptiedTables.length ? `; left out ${r.emptiedTables.join(', ')}` : '') +
            (r.reanalyzed ? `; re-analysed: ${r.findings} findings` : '') +
            '. No original identifier remains.\n',
        );
      }
      return EXIT.ok;
    } finally {
      await s.close();
    }
  },
};
