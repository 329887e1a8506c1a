import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runAnalysis } from '../../engine/analysis/index.ts';
import { Db } from '../../engine/db/index.ts';
import { ingestPaths } from '../../engine/ingest/service.ts';
import type { Finding } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope analyze <file.tscope | path…> [--case out.tscope] [--json]

Finds incidents: tunnel outages, ECMP and asymmetric return paths, half-open handshakes, SYNs
without SYN-ACK, reject bursts (security group vs network ACL), Transit Gateway drops, route changes
and flow-log gaps. Given a .tscope file it analyses that case; given log files or folders it imports
them first, into --case FILE when given (kept) or a temporary case (deleted afterwards).
  --case FILE   where to import the given paths
  --json        print { "findings": [...] } sorted by start time
Exit status: 0 ok, 2 usage, 3 failed, 130 cancelled.`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { case: { type: 'string', short: 'c' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
}

const SEV = { critical: 'CRITICAL', warning: 'WARNING ', info: 'info    ' } as const;

function wrap(text: string, indent: string, width = 100): string {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/)) {
    if (line && line.length + w.length + 1 > width - indent.length) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out.join('\n');
}

export function textReport(findings: Finding[], casePath: string, elapsedMs: number): string {
  const count = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  const lines = [
    `${casePath}: ${findings.length} finding(s): ${count('critical')} critical, ${count('warning')} warning, ${count('info')} info (analysis ${(elapsedMs / 1000).toFixed(1)} s)`,
    '',
  ];
  for (const f of findings) {
    lines.push(`${SEV[f.severity]} ${f.kind.padEnd(17)} ${f.start.replace('T', ' ').replace('Z', '')} → ${f.end.slice(11, 19)} UTC  ${f.title}`);
    lines.push(wrap(f.summary, '         '));
    const subject = Object.entries(f.subject).map(([k, v]) => `${k}=${v}`).join(' ');
    if (subject) lines.push(`         subject: ${subject}   id: ${f.id}`);
    for (const r of f.evidence.rows.slice(0, 2)) lines.push(`         evidence: ${r.file ?? r.table}${r.line != null ? `:${r.line}` : ''}`);
    lines.push('');
  }
  if (findings.length === 0) lines.push('No findings: nothing in this data stands out from its own baseline.', '');
  return lines.join('\n');
}

export const command: Command = {
  summary: 'find incidents in a case (or in log files, importing them first) and explain them',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (positionals.length === 0) throw new AppError('bad-argument', 'Give a .tscope case file, or log files/folders to import and analyse.');
    for (const p of positionals) if (!existsSync(p)) throw new AppError('not-found', `${p} does not exist.`);
    const isCase = positionals.length === 1 && positionals[0]!.endsWith('.tscope') && !values.case;
    let tmp: string | null = null;
    const casePath = isCase ? positionals[0]! : (values.case ?? join((tmp = mkdtempSync(join(tmpdir(), 'tscope-analyze-'))), 'case.tscope'));
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const db = await Db.open(casePath);
    try {
      if (!isCase) {
        const summary = await ingestPaths(db, positionals, {}, { signal: controller.signal });
        if (summary.cancelled) throw new AppError('cancelled', 'Import was cancelled.');
        process.stderr.write(`imported ${summary.records} records (${summary.quarantined} quarantined) into ${tmp ? 'a temporary case' : casePath}\n`);
      }
      const res = await runAnalysis(db, { signal: controller.signal });
      const sorted = [...res.findings].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
      process.stdout.write(values.json ? JSON.stringify({ findings: sorted }, null, 2) + '\n' : textReport(sorted, tmp ? positionals.join(' ') : casePath, res.elapsedMs));
      return EXIT.ok;
    } finally {
      process.removeListener('SIGINT', onSigint);
      await db.close();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  },
};
