/**
 * One open investigation. The model:
 *
 * - The session never writes the user's file. Opening reads it in place, read-only, so a 1 GB case
 *   is on screen in tens of milliseconds, while a private working copy is made in the background
 *   (under the OS temp dir; $TUNNELSCOPE_WORK_DIR overrides). When the copy is complete the session's
 *   Db moves onto it (`Db.moveTo`); every write (imports, analysis, notes, saves) waits for that
 *   (`writable()`). A file that needs work before it can be read (a WAL a crash left, an older format
 *   to migrate) is copied first and opened on the copy, as before.
 * - The original changes only through `save`: CHECKPOINT the working copy, copy it to
 *   `<file>.tmp-<pid>`, fsync, rename over the file, fsync the directory. A kill at any moment leaves
 *   either the old file or the new one; the next open deletes the orphaned temp.
 * - `<file>.lock` (pid + host) marks the file as open; a second process is refused with a clear
 *   message, a lock whose process is gone is taken over.
 * - Read-only (the bundled demo, a file someone sent): the original is never written and not locked.
 *   Notes, imports and analysis still work on the working copy; keeping them takes a Save As.
 * - Autosave: notes, bookmarks, reviews, saved queries and the view are written to the working copy
 *   at once, and `autosaveMs` after the last such change the whole case is saved atomically into its
 *   file. Autosave does not run for untitled or read-only cases, nor for a file that was migrated from
 *   an older format (its first save, which upgrades it, is the user's decision); there `dirty` stays set.
 * - Untitled cases (`create()` without a path) live only in the working directory until `save(to)`.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Annotation, FindingReview, SavedQuery, SqlResult, ViewState } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { Db } from '../db/index.ts';
import { FORMAT_VERSION, formatVersion } from '../db/schema/index.ts';
import { atomicReplace, copyFromHandle, copyIn, looksLikeDuckDb, makeWorkDir, sweepStaleTemps, workRoot } from './files.ts';
import { FileLock, lockHolder } from './lock.ts';
import { SqlConsole } from './sql-console.ts';
import * as state from './state.ts';

export interface CaseOpenOptions {
  readOnly?: boolean;
  /** Quiet time after a state change before the case is saved into its file; 0 turns autosave off. */
  autosaveMs?: number;
  /** DuckDB worker threads for this case. */
  threads?: number;
}

const DEFAULT_AUTOSAVE_MS = 1500;
const CORRUPT_RE = /corrupt|checksum|truncated|not a valid|IO Error|Serialization|could not read|unable to read|INTERNAL Error/i;

export class CaseSession {
  private lock: FileLock | null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private console: SqlConsole;
  /** Settles when the working copy is in place (at once for a case opened on its copy). */
  private ready: Promise<void> = Promise.resolve();
  /** Set when the last autosave failed; the UI shows it and `dirty` stays true. */
  lastAutosaveError: AppError | null = null;
  /** Called after anything that changes `dirty`, `path` or the state (for 'case.changed' events). */
  onChange: ((s: CaseSession) => void) | null = null;

  private constructor(
    readonly db: Db,
    private filePath: string | null,
    private ro: boolean,
    private readonly workDir: string,
    private readonly workFile: string,
    lock: FileLock | null,
    /** Format version the file had on disk before this session migrated it (null: current). */
    public migratedFrom: number | null,
    private readonly autosaveMs: number,
    private isDirty: boolean,
    private readonly threads?: number,
  ) {
    this.lock = lock;
    this.console = new SqlConsole({ workFile, checkpoint: () => this.exclusive(() => this.db.run('CHECKPOINT')) }, workDir);
  }

  get path(): string | null {
    return this.filePath;
  }

  /** The original is never written (until a Save As makes the new file this session's own). */
  get readOnly(): boolean {
    return this.ro;
  }

  get dirty(): boolean {
    return this.isDirty;
  }

  /** The private working copy (it exists once `writable()` has resolved). */
  get workingCopy(): string {
    return this.workFile;
  }

  get name(): string {
    return this.filePath ? basename(this.filePath) : 'Untitled investigation';
  }

  /** Opens an existing case file (see the model above). */
  static async open(file: string, opts: CaseOpenOptions = {}): Promise<CaseSession> {
    const path = resolve(file);
    if (!existsSync(path)) throw new AppError('not-found', `${path} does not exist.`);
    if (!statSync(path).isFile()) throw new AppError('io', `${path} is a folder, not an investigation file.`);
    if (!looksLikeDuckDb(path)) {
      throw new AppError('case-corrupt', `${basename(path)} is not a readable Tunnelscope investigation file: it is damaged, truncated or not a case file. The file was not changed.`);
    }
    const readOnly = !!opts.readOnly;
    const lock = readOnly ? null : FileLock.acquire(path);
    let workDir: string | null = null;
    let db: Db | null = null;
    let handle: FileHandle | null = null;
    try {
      sweepStaleTemps(path);
      // The handle pins the file that is opened: the background copy reads it, whatever is renamed over the path meanwhile.
      handle = await openFile(path, 'r');
      // Read-only in place: DuckDB refuses this when another program holds the file open for
      // writing, and it reads the version before anything is copied.
      db = await Db.open(path, { readOnly: true, migrate: false, threads: opts.threads });
      const onDisk = await checkVersion(db, path);
      const autosaveMs = opts.autosaveMs ?? DEFAULT_AUTOSAVE_MS;
      workDir = makeWorkDir();
      const workFile = join(workDir, 'case.tscope');
      const pinned = (await handle.stat()).ino === statSync(path).ino;
      if (onDisk < FORMAT_VERSION || existsSync(`${path}.wal`) || !pinned) {
        // Migrations and WAL replay write: they run on a copy made now.
        await db.close();
        db = null;
        await handle.close();
        handle = null;
        copyIn(path, workFile);
        db = await Db.open(workFile, { threads: opts.threads }).catch((e) => {
          throw asCaseError(e, path);
        });
        await checkReadable(db, statSync(workFile).size);
        const migratedFrom = onDisk < FORMAT_VERSION ? onDisk : null;
        return new CaseSession(db, path, readOnly, workDir, workFile, lock, migratedFrom, autosaveMs, migratedFrom !== null, opts.threads);
      }
      await checkReadable(db, (await handle.stat()).size);
      const s = new CaseSession(db, path, readOnly, workDir, workFile, lock, null, autosaveMs, false, opts.threads);
      s.copyInBackground(handle);
      handle = null;
      return s;
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await db?.close().catch(() => undefined);
      if (workDir) rmSync(workDir, { recursive: true, force: true });
      lock?.release();
      throw asCaseError(e, path);
    }
  }

  /** A new case: untitled (working directory only) or, with a path, created there at once. */
  static async create(file?: string, opts: CaseOpenOptions = {}): Promise<CaseSession> {
    const path = file ? resolve(file) : null;
    if (path && existsSync(path)) {
      throw new AppError('bad-argument', `${path} already exists. Open it, or choose another name for the new investigation.`);
    }
    const lock = path ? FileLock.acquire(path) : null;
    const workDir = makeWorkDir();
    let db: Db | null = null;
    try {
      const workFile = join(workDir, 'case.tscope');
      db = await Db.open(workFile, { threads: opts.threads });
      const s = new CaseSession(db, null, false, workDir, workFile, null, null, opts.autosaveMs ?? DEFAULT_AUTOSAVE_MS, false);
      if (path) {
        s.lock = lock;
        await s.save(path);
      }
      return s;
    } catch (e) {
      await db?.close().catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
      lock?.release();
      throw e;
    }
  }

  /**
   * The case's Db once it can be written: waits for the working copy (a second or so for a 1 GB
   * case just opened). Imports and analysis go through here; the state API does it itself.
   */
  async writable(): Promise<Db> {
    this.requireOpen();
    await this.ready;
    this.requireOpen();
    return this.db;
  }

  /** Runs `fn` with no save or other state write in between (saves copy the file; nothing may write meanwhile). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => this.writable()).then(() => fn());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Copies the original (read through `handle`) into the working file, then moves the Db onto it. */
  private copyInBackground(handle: FileHandle): void {
    this.ready = (async () => {
      let copied: 'done' | 'stopped';
      try {
        copied = await copyFromHandle(handle, this.workFile, () => this.closed);
      } finally {
        await handle.close().catch(() => undefined);
      }
      if (copied === 'stopped' || this.closed) throw new AppError('no-case', 'The investigation is closed.');
      await this.db.moveTo(this.workFile, { threads: this.threads });
    })().catch((e: unknown) => {
      if (e instanceof AppError && e.code === 'no-case') throw e;
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new AppError(
        'io',
        `Could not make the working copy of ${this.name} in ${workRoot()} (${why}). The investigation can be read but not changed: free some space there, or set TUNNELSCOPE_WORK_DIR to a bigger disk, and open it again.`,
      );
    });
    // Nobody may be waiting yet: the error is kept for the first write.
    this.ready.catch(() => undefined);
  }

  /** Atomically writes the case to `to` (Save As) or to its own file. Returns the path written. */
  async save(to?: string): Promise<string> {
    this.requireOpen();
    const target = to ? resolve(to) : this.filePath;
    if (!target) throw new AppError('bad-argument', 'This investigation has no file yet: choose where to save it.');
    const sameFile = target === this.filePath;
    if (this.readOnly && sameFile) {
      throw new AppError('read-only', `${basename(target)} was opened read-only. Save it under another name to keep your changes.`);
    }
    let newLock: FileLock | null = null;
    if (!sameFile && !(this.lock && this.lock.file === target)) newLock = FileLock.acquire(target);
    try {
      await this.copyCheckpointed(() => atomicReplace(this.workFile, target));
    } catch (e) {
      newLock?.release();
      throw e;
    }
    if (!sameFile) {
      if (this.lock && this.lock.file !== target) this.lock.release();
      if (newLock) this.lock = newLock;
      this.filePath = target;
      this.ro = false;
    }
    this.migratedFrom = null;
    this.isDirty = false;
    this.lastAutosaveError = null;
    this.onChange?.(this);
    return target;
  }

  /** Tells the session that data changed outside the state API (ingest, analysis). */
  markDirty(): void {
    if (this.isDirty) return;
    this.isDirty = true;
    this.onChange?.(this);
  }

  /** Saves pending autosave work, stops the console, closes DuckDB, deletes the working copy, releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      if (this.autosaveAllowed()) await this.save().catch(() => undefined);
    }
    this.closed = true;
    await this.queue.catch(() => undefined);
    await this.ready.catch(() => undefined);
    await this.console.close();
    await this.db.close();
    rmSync(this.workDir, { recursive: true, force: true });
    this.lock?.release();
    this.lock = null;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- state (write-through + autosave) ----------------------------------------------------

  listNotes(): Promise<Annotation[]> {
    return state.listNotes(this.db);
  }

  addNote(input: state.NoteInput): Promise<Annotation> {
    return this.write(() => state.addNote(this.db, input));
  }

  removeNote(id: string): Promise<void> {
    return this.write(() => state.removeNote(this.db, id));
  }

  getView(): Promise<ViewState | null> {
    return state.getView(this.db);
  }

  saveView(v: ViewState): Promise<void> {
    return this.write(() => state.saveView(this.db, v));
  }

  setReview(findingId: string, review: FindingReview): Promise<void> {
    return this.write(() => state.setReview(this.db, findingId, review));
  }

  reviews(): Promise<Map<string, FindingReview>> {
    return state.reviewsById(this.db);
  }

  savedQueries(): Promise<SavedQuery[]> {
    return state.listSavedQueries(this.db);
  }

  saveQuery(name: string, sql: string): Promise<SavedQuery> {
    return this.write(() => state.saveQuery(this.db, name, sql));
  }

  removeSavedQuery(id: string): Promise<void> {
    return this.write(() => state.removeSavedQuery(this.db, id));
  }

  // ---- SQL console -------------------------------------------------------------------------

  runSql(sql: string, limit?: number): Promise<SqlResult> {
    this.requireOpen();
    return this.console.run(sql, limit);
  }

  interruptSql(): boolean {
    return this.console.interrupt();
  }

  /** A consistent copy of the working database at `dest` (for redaction and reports of a live case). */
  async snapshot(dest: string): Promise<void> {
    this.requireOpen();
    await this.copyCheckpointed(() => copyIn(this.workFile, dest));
  }

  /** Runs `copy` on a checkpointed working file, with nothing else writing (saves and snapshots). */
  private copyCheckpointed(copy: () => void): Promise<void> {
    return this.exclusive(async () => {
      await this.db.run('CHECKPOINT');
      // No automatic checkpoint may rewrite the file while it is being copied.
      await this.db.run("SET checkpoint_threshold = '1TB'");
      try {
        copy();
      } finally {
        await this.db.run('RESET checkpoint_threshold');
      }
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  private requireOpen(): void {
    if (this.closed) throw new AppError('no-case', 'The investigation is closed.');
  }

  private async write<T>(fn: () => Promise<T>): Promise<T> {
    this.requireOpen();
    const v = await this.exclusive(fn);
    this.isDirty = true;
    this.scheduleAutosave();
    this.onChange?.(this);
    return v;
  }

  private autosaveAllowed(): boolean {
    return !this.closed && !this.readOnly && !!this.filePath && this.migratedFrom === null && this.autosaveMs > 0;
  }

  private scheduleAutosave(): void {
    if (!this.autosaveAllowed()) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save().catch((e) => {
        this.lastAutosaveError = e instanceof AppError ? e : new AppError('io', String(e));
        this.onChange?.(this);
      });
    }, this.autosaveMs);
    this.timer.unref?.();
  }
}

/** The format version of the open file; refuses a file from a newer Tunnelscope and a DuckDB file that is not a case. */
async function checkVersion(db: Db, path: string): Promise<number> {
  const v = await db.use((c) => formatVersion(c));
  if (v === 0) {
    const t = await db.one<{ n: number }>("SELECT count(*) AS n FROM duckdb_tables() WHERE database_name = current_database()");
    if (t?.n) throw new AppError('case-corrupt', `${basename(path)} is a DuckDB database but not a Tunnelscope investigation file. The file was not changed.`);
  }
  if (v > FORMAT_VERSION) {
    throw new AppError(
      'case-too-new',
      `${basename(path)} was written by a newer Tunnelscope (format ${v}; this version reads up to ${FORMAT_VERSION}). Update Tunnelscope to open it.`,
    );
  }
  return v;
}

/**
 * Up to this size every block is read (and checksummed) on open; larger files get the catalog and
 * row-group metadata check only and their data blocks are checked as they are read (DuckDB verifies
 * every block it loads, so damage still fails the query that meets it, never silently). Reading
 * every block costs ~5 ms per MB even in one statement (a 13 MB case: 65–80 ms on top of a 60 ms
 * open, when a 1 GB case opens in 60 ms), which an analyst reopening a case should not pay each
 * time; 8 MB keeps the demo case (7.6 MB: ~25 ms) and the test fixtures fully checked.
 */
const FULL_CHECK_BYTES = 8 * 1024 ** 2;

/**
 * Reads every column of every table (DuckDB verifies each block's checksum as it reads it), so a
 * damaged file fails here with a clear message instead of halfway through an analysis.
 */
async function checkReadable(db: Db, bytes: number): Promise<void> {
  const tables = await tableNames(db);
  if (bytes <= FULL_CHECK_BYTES) {
    // One statement, each table hashed as whole rows: a third of the time of a statement per table and column.
    if (tables.length) await db.one(`SELECT ${tables.map(({ t }, i) => `(SELECT max(hash(x)) FROM ${quoteName(t)} AS x) AS h${i}`).join(', ')}`);
    return;
  }
  // Row-group metadata of every table, in one statement (a round trip per table was a third of the open).
  if (tables.length) await db.one(`SELECT ${tables.map(({ t }, i) => `(SELECT count(*) FROM ${quoteName(t)}) AS n${i}`).join(', ')}`);
}

const quoteName = (t: string) => `"${t.replace(/"/g, '""')}"`;

const tableNames = (db: Db) => db.all<{ t: string }>('SELECT table_name AS t FROM duckdb_tables() WHERE database_name = current_database() ORDER BY 1');

function asCaseError(e: unknown, path: string): AppError {
  if (e instanceof AppError) {
    if (e.code === 'case-corrupt' && !e.message.includes(basename(path))) {
      return new AppError('case-corrupt', `${basename(path)} is not a readable Tunnelscope investigation file: it is damaged, truncated or not a case file. The file was not changed.`);
    }
    if (e.code === 'case-locked' && !e.message.includes(basename(path))) {
      return new AppError('case-locked', `${basename(path)} is open in another program (it holds the file lock). Close it there and try again.`);
    }
    return e;
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (CORRUPT_RE.test(msg)) {
    return new AppError('case-corrupt', `${basename(path)} is not a readable Tunnelscope investigation file: it is damaged, truncated or not a case file. The file was not changed.`);
  }
  return new AppError('io', `Could not open ${basename(path)}: ${msg.split('\n')[0]}`);
}

/** What a case file on disk is, without opening a session (tests, `tunnelscope info`). */
export async function caseFileInfo(file: string): Promise<{
  path: string;
  bytes: number;
  formatVersion: number;
  lockedBy: { pid: number; host: string } | null;
  tables: Record<string, number>;
}> {
  const path = resolve(file);
  const db = await Db.open(path, { readOnly: true, migrate: false, threads: 1 }).catch((e) => {
    throw asCaseError(e, path);
  });
  try {
    const version = await db.use((c) => formatVersion(c));
    const tables: Record<string, number> = {};
    for (const { t } of await tableNames(db)) tables[t] = (await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${quoteName(t)}`))!.n;
    const holder = lockHolder(path);
    return { path, bytes: statSync(path).size, formatVersion: version, lockedBy: holder ? { pid: holder.pid, host: holder.host } : null, tables };
  } finally {
    await db.close();
  }
}
