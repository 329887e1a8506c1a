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

  /** Whether this database has a table of that name (files of older formats may lack some). */
  async hasTable(name: string): Promise<boolean> {
    const r = await this.one<{ n: number }>('SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = current_database() AND table_name = $t', { t: name });
    return !!r?.n;
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
  /** Calls still running per instance: an instance left behind by `moveTo` closes when its count reaches 0. */
  private readonly users = new Map<DuckDBInstance, number>();
  private readonly retired = new Set<DuckDBInstance>();
  private closed = false;

  private constructor(
    private where: string,
    private ro: boolean,
    private instance: DuckDBInstance,
  ) {}

  get path(): string {
    return this.where;
  }

  get readOnly(): boolean {
    return this.ro;
  }

  static async open(path: string, opts: OpenOptions = {}): Promise<Db> {
    return new Db(path, !!opts.readOnly, await createInstance(path, opts));
  }

  /**
   * Moves this handle onto another file holding the same database (a case's working copy: see
   * CaseSession). Calls from now on go to the new instance; the old one closes when the last call
   * still running on it returns.
   */
  async moveTo(path: string, opts: OpenOptions = {}): Promise<void> {
    if (this.closed) throw new AppError('no-case', 'The investigation is closed.');
    const next = await createInstance(path, opts);
    if (this.closed) {
      next.closeSync();
      throw new AppError('no-case', 'The investigation is closed.');
    }
    const old = this.instance;
    this.instance = next;
    this.where = path;
    this.ro = !!opts.readOnly;
    this.retired.add(old);
    if (!this.users.get(old)) this.closeInstance(old);
  }

  /** Lends a connection for the duration of `fn`. */
  async use<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    if (this.closed) throw new AppError('no-case', 'The investigation is closed.');
    const inst = this.instance;
    this.users.set(inst, (this.users.get(inst) ?? 0) + 1);
    let c: DuckDBConnection | null = null;
    try {
      c = await inst.connect();
      this.active.add(c);
      return await fn(new Conn(c));
    } finally {
      if (c) {
        this.active.delete(c);
        c.closeSync();
      }
      const left = (this.users.get(inst) ?? 1) - 1;
      this.users.set(inst, left);
      if (left === 0 && this.retired.has(inst)) this.closeInstance(inst);
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

  private closeInstance(inst: DuckDBInstance): void {
    this.retired.delete(inst);
    this.users.delete(inst);
    inst.closeSync();
  }

  private closeSync(): void {
    this.closed = true;
    for (const c of this.active) c.closeSync();
    this.active.clear();
    for (const inst of [...this.retired]) this.closeInstance(inst);
    this.instance.closeSync();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** A DuckDB instance on `path` with the options and, unless told otherwise, the schema migrated. */
async function createInstance(path: string, opts: OpenOptions): Promise<DuckDBInstance> {
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
  if (opts.migrate ?? !opts.readOnly) {
    const c = await instance.connect();
    try {
      await migrate(new Conn(c));
    } catch (e) {
      c.closeSync();
      instance.closeSync();
      throw e;
    }
    c.closeSync();
  }
  return instance;
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
