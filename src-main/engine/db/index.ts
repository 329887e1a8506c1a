/**
 * The only module that imports @duckdb/node-api. Everything else asks this one for rows.
 *
 * Rules it enforces: no extension is ever installed or auto-loaded (nothing downloads at run time;
 * parquet, json and icu are linked into the binding), connections are always returned in `finally`,
 * and closing first interrupts whatever is still running.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { AppError } from '../../shared/result.ts';
import { migrate } from './schema/index.ts';
import { toPlainRow } from './values.ts';

export type Params = DuckDBValue[] | Record<string, DuckDBValue>;
export type Row = Record<string, unknown>;

export interface OpenOptions {
  readOnly?: boolean;
  /** Worker threads for DuckDB; defaults to DuckDB's own choice (all cores). */
  threads?: number;
  memoryLimit?: string;
  /** Allow reading files from disk (read_csv etc.). Off for untrusted query connections. Default on. */
  externalAccess?: boolean;
  /** Apply schema migrations on open (default true unless read-only). */
  migrate?: boolean;
}

/** A connection lent out by `Db.use`; do not keep it after the callback returns. */
export class Conn {
  constructor(private readonly c: DuckDBConnection) {}

  async run(sql: string, params?: Params): Promise<void> {
    if (params === undefined) await this.c.run(sql);
    else await this.c.run(sql, params);
  }

  /** Rows as plain JSON-safe objects (bigint → number when exact, timestamps → ISO strings). */
  async all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = params === undefined ? await this.c.runAndReadAll(sql) : await this.c.runAndReadAll(sql, params);
    return reader.getRowObjectsJS().map((r) => toPlainRow(r) as T);
  }

  /** Rows with DuckDB's JS values untouched (bigint stays bigint). */
  async raw(sql: string, params?: Params): Promise<Record<string, unknown>[]> {
    const reader = params === undefined ? await this.c.runAndReadAll(sql) : await this.c.runAndReadAll(sql, params);
    return reader.getRowObjectsJS();
  }

  /**
   * Column names and rows as arrays, for grids (SQL console). With `maxRows`, the result is
   * streamed and at most that many rows are read; `done` says whether more were left.
   */
  async table(sql: string, params?: Params, maxRows?: number): Promise<{ columns: string[]; types: string[]; rows: unknown[][]; done: boolean }> {
    const reader =
      maxRows !== undefined
        ? await this.c.streamAndReadUntil(sql, maxRows, params)
        : params === undefined
          ? await this.c.runAndReadAll(sql)
          : await this.c.runAndReadAll(sql, params);
    const columns = reader.columnNames();
    const types = reader.columnTypes().map((t) => t.toString());
    let rows = reader.getRowsJS();
    const done = reader.done && (maxRows === undefined || rows.length <= maxRows);
    if (maxRows !== undefined && rows.length > maxRows) rows = rows.slice(0, maxRows);
    return { columns, types, rows: rows.map((r) => r.map((v) => toPlainRow({ v }).v)), done };
  }

  async one<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Statement type of the (single) statement in `sql`, e.g. 'SELECT'. */
  async statementTypes(sql: string): Promise<string[]> {
    const extracted = await this.c.extractStatements(sql);
    const out: string[] = [];
    for (let i = 0; i < extracted.count; i++) {
      const p = await extracted.prepare(i);
      out.push(String(p.statementType));
      p.destroySync();
    }
    return out;
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.c.run('BEGIN TRANSACTION');
    try {
      const v = await fn();
      await this.c.run('COMMIT');
      return v;
    } catch (e) {
      try {
        await this.c.run('ROLLBACK');
      } catch {
        /* the transaction may already be aborted */
      }
      throw e;
    }
  }

  interrupt(): void {
    this.c.interrupt();
  }
}

export class Db {
  private readonly active = new Set<DuckDBConnection>();
  private closed = false;

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
  ) {}

  static async open(path: string, opts: OpenOptions = {}): Promise<Db> {
    const options: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      allow_unsigned_extensions: 'false',
    };
    if (opts.readOnly) options.access_mode = 'READ_ONLY';
    if (opts.threads) options.threads = String(opts.threads);
    if (opts.memoryLimit) options.memory_limit = opts.memoryLimit;
    if (opts.externalAccess === false) options.enable_external_access = 'false';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, options);
    } catch (e) {
      throw openError(path, e);
    }
    const db = new Db(path, !!opts.readOnly, instance);
    if (opts.migrate ?? !opts.readOnly) {
      try {
        await db.use((c) => migrate(c));
      } catch (e) {
        db.closeSync();
        throw e;
      }
    }
    return db;
  }

  /** Lends a connection for the duration of `fn`. */
  async use<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError('no-case', 'The investigation is closed.');
    const c = await this.instance.connect();
    this.active.add(c);
    try {
      return await fn(new Conn(c));
    } finally {
      this.active.delete(c);
      c.closeSync();
    }
  }

  all<T = Row>(sql: string, params?: Params): Promise<T[]> {
    return this.use((c) => c.all<T>(sql, params));
  }

  one<T = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return this.use((c) => c.one<T>(sql, params));
  }

  run(sql: string, params?: Params): Promise<void> {
    return this.use((c) => c.run(sql, params));
  }

  /** Stops every running query; their promises reject with an interrupt error. */
  interruptAll(): void {
    for (const c of this.active) c.interrupt();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.interruptAll();
    // Give interrupted queries a moment to unwind before the instance goes.
    for (let i = 0; i < 50 && this.active.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    this.closeSync();
  }

  private closeSync(): void {
    this.closed = true;
    for (const c of this.active) c.closeSync();
    this.active.clear();
    this.instance.closeSync();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

function openError(path: string, e: unknown): AppError {
  const msg = e instanceof Error ? e.message : String(e);
  // Not /lock/: DuckDB's corruption messages mention blocks.
  if (/Could not set lock|Conflicting lock|\block\b/i.test(msg)) {
    return new AppError('case-locked', `${path} is open in another program (it holds the file lock). Close it there and try again.`);
  }
  if (/not a valid DuckDB database|Corrupt|checksum|truncated|Invalid|unable to read|could not read/i.test(msg)) {
    return new AppError('case-corrupt', `${path} is not a readable Tunnelscope investigation file (it is damaged or not a case file).`);
  }
  return new AppError('io', `Could not open ${path}: ${msg.split('\n')[0]}`);
}
