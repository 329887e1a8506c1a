import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Db } from '../../engine/db/index.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';

const USAGE = `usage: tunnelscope query <file.tscope> "<SELECT …>" [--json | --csv]

Runs one read-only SQL statement (SELECT, WITH … SELECT, EXPLAIN) against the case file and prints
the result as an aligned table, JSON (an array of row objects) or CSV. The file is opened read-only.`;

// DuckDB statement types (duckdb_statement_type): 1 SELECT, 4 EXPLAIN.
const ALLOWED = new Set(['1', '4', 'SELECT', 'EXPLAIN']);

export const command: Command = {
  summary: 'run a read-only SQL query against a case file',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, csv: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    if (positionals.length !== 2) throw new AppError('bad-argument', 'Give a case file and one SQL statement: tunnelscope query <file.tscope> "SELECT …".');
    if (values.json && values.csv) throw new AppError('bad-argument', 'Choose one of --json and --csv.');
    const [path, sql] = positionals as [string, string];
    if (!existsSync(path)) throw new AppError('not-found', `${path} does not exist.`);
    const db = await Db.open(path, { readOnly: true, externalAccess: false });
    try {
      const result = await db.use(async (c) => {
        let types: string[];
        try {
          types = await c.statementTypes(sql);
        } catch (e) {
          throw new AppError('bad-argument', `The SQL is not valid: ${firstLine(e)}`);
        }
        if (types.length !== 1) throw new AppError('bad-argument', `Give exactly one SQL statement; this text has ${types.length}.`);
        if (!ALLOWED.has(types[0]!)) throw new AppError('read-only', 'query only runs read-only statements (SELECT, WITH … SELECT, EXPLAIN); the case file is not changed.');
        try {
          return await c.table(sql);
        } catch (e) {
          throw new AppError('bad-argument', `The query failed: ${firstLine(e)}`);
        }
      });
      if (values.json) {
        const rows = result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i]])));
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      } else if (values.csv) {
        process.stdout.write([result.columns, ...result.rows].map((r) => r.map(csvCell).join(',')).join('\n') + '\n');
      } else {
        process.stdout.write(renderTable(result.columns, result.rows));
      }
    } finally {
      await db.close();
    }
    return EXIT.ok;
  },
};

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '').trim();
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function csvCell(v: unknown): string {
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function renderTable(columns: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? 'NULL' : text(v))));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i]!.length))));
  const fmt = (r: string[]) => r.map((v, i) => (v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n') + '\n';
}
