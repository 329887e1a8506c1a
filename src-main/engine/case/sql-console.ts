/**
 * The SQL console: power users' read-only window on the case. It never runs on the case's own
 * DuckDB instance. It runs on a separate instance opened on a snapshot of the working copy with
 * access_mode=READ_ONLY, enable_external_access=false (so read_csv('/etc/passwd'), COPY … TO,
 * ATTACH, INSTALL and LOAD fail inside DuckDB) and lock_configuration=true (so SET cannot undo
 * any of it). On top of that, only one SELECT/WITH/EXPLAIN/DESCRIBE/SHOW/SUMMARIZE statement is
 * accepted. A case file from someone else is data: its saved queries run only through here, and only
 * when the user runs them.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlResult } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { Db } from '../db/index.ts';
import { copyIn } from './files.ts';

const ALLOWED_FIRST_WORDS = new Set(['SELECT', 'WITH', 'FROM', 'EXPLAIN', 'DESCRIBE', 'SHOW', 'SUMMARIZE', 'VALUES', 'TABLE']);
// DuckDB's StatementType enum: SELECT = 1, EXPLAIN = 4 (node-api reports the number).
const ALLOWED_TYPES = new Set(['1', '4', 'SELECT', 'EXPLAIN', 'SELECT_STATEMENT', 'EXPLAIN_STATEMENT']);

/** The first keyword of a statement, skipping comments, whitespace and opening parentheses. */
export function firstKeyword(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^[\s(]+/, '');
    if (t.startsWith('--')) s = t.replace(/^--[^\n]*(\n|$)/, '');
    else if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else {
      s = t;
      break;
    }
  }
  return (/^[A-Za-z_]+/.exec(s)?.[0] ?? '').toUpperCase();
}

export function refusal(sql: string): string | null {
  const word = firstKeyword(sql);
  if (!word) return 'The SQL console got no statement to run.';
  if (!ALLOWED_FIRST_WORDS.has(word)) {
    return `The SQL console is read-only: it runs SELECT, WITH, EXPLAIN, DESCRIBE, SHOW and SUMMARIZE statements, not ${word}.`;
  }
  return null;
}

export interface ConsoleSource {
  /** The working copy's path, and a way to make it consistent on disk (CHECKPOINT) before it is copied. */
  workFile: string;
  checkpoint(): Promise<void>;
}

export class SqlConsole {
  private sandbox: Db | null = null;
  private snapshotOf: string | null = null;
  private running = 0;

  constructor(
    private readonly source: ConsoleSource,
    private readonly dir: string,
    private readonly timeoutMs = 120_000,
  ) {}

  /** A read-only, no-external-access instance on a snapshot that is current with the case. */
  private async ensureSandbox(): Promise<Db> {
    await this.source.checkpoint();
    const st = statSync(this.source.workFile);
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (this.sandbox && this.snapshotOf === stamp) return this.sandbox;
    if (this.running > 0 && this.sandbox) return this.sandbox; // keep serving the snapshot a running query uses
    await this.sandbox?.close();
    this.sandbox = null;
    const snap = join(this.dir, 'console-snapshot.duckdb');
    copyIn(this.source.workFile, snap);
    const db = await Db.open(snap, { readOnly: true, externalAccess: false, migrate: false, threads: 2, memoryLimit: '4GB' });
    await db.run('SET lock_configuration = true');
    this.sandbox = db;
    this.snapshotOf = stamp;
    return db;
  }

  async run(sql: string, limit = 10_000): Promise<SqlResult> {
    const refused = refusal(sql);
    if (refused) throw new AppError('read-only', refused);
    const db = await this.ensureSandbox();
    const started = performance.now();
    this.running++;
    try {
      return await db.use(async (c) => {
        let types: string[];
        try {
          types = await c.statementTypes(sql);
        } catch (e) {
          throw consoleError(e, this.timeoutMs);
        }
        if (types.length !== 1) throw new AppError('read-only', `The SQL console runs one statement at a time; this text has ${types.length}.`);
        if (!ALLOWED_TYPES.has(types[0]!)) {
          throw new AppError('read-only', `The SQL console is read-only: it runs SELECT, WITH, EXPLAIN, DESCRIBE, SHOW and SUMMARIZE statements, not ${firstKeyword(sql) || 'this statement'}.`);
        }
        const timer = setTimeout(() => c.interrupt(), this.timeoutMs);
        try {
          const t = await c.table(sql, undefined, limit);
          return { columns: t.columns, types: t.types, rows: t.rows, truncated: !t.done, elapsedMs: Math.round(performance.now() - started) };
        } catch (e) {
          throw consoleError(e, this.timeoutMs);
        } finally {
          clearTimeout(timer);
        }
      });
    } finally {
      this.running--;
    }
  }

  /** Stops every running console query; they fail with 'cancelled'. */
  interrupt(): boolean {
    if (!this.sandbox || this.running === 0) return false;
    this.sandbox.interruptAll();
    return true;
  }

  async close(): Promise<void> {
    await this.sandbox?.close();
    this.sandbox = null;
  }
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();

function consoleError(e: unknown, timeoutMs: number): AppError {
  if (e instanceof AppError) return e;
  const msg = firstLine(e);
  if (/interrupt/i.test(msg)) {
    return new AppError('cancelled', `The query was stopped (cancelled, or it ran longer than ${Math.round(timeoutMs / 1000)} s).`);
  }
  if (/Permission Error|file system operations are disabled|external/i.test(msg)) {
    return new AppError('read-only', `The SQL console cannot read or write files outside the investigation. (${msg})`);
  }
  if (/read-only|read only/i.test(msg)) return new AppError('read-only', `The SQL console is read-only. (${msg})`);
  if (/locked/i.test(msg)) return new AppError('read-only', `The SQL console cannot change settings. (${msg})`);
  return new AppError('bad-argument', msg);
}
