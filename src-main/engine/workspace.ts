/**
 * The engine as a front door sees it: the investigation that is open, the ingest jobs running on
 * it, and the events pushed to every window / browser client. Shared by Electron main,
 * `tunnelscope serve` and the handler tests; never imports electron.
 *
 * Ingest jobs run one at a time in a FIFO queue (DuckDB writes to one file; two imports in parallel
 * would only contend for the same lock). `ingest.start` returns at once with a job id; a queued job
 * can be cancelled before it starts. Switching or closing the case cancels every job first.
 * A job that imported records then runs the analysis (conversations, rollups, findings) as its
 * last step and emits `analysis.done`, so the views are current without the user asking.
 */
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { EventName, Events } from '../shared/contract.ts';
import type { CaseSummary, IngestOptions, IngestProgress, IngestSummary } from '../shared/domain.ts';
import { AppError, toErrorValue } from '../shared/result.ts';
import type { Db } from './db/index.ts';
import { CaseSession } from './case/session.ts';
import { ingestPaths } from './ingest/service.ts';
import { runAnalysis } from './analysis/run.ts';
import { warmConversations } from './analysis/conversations.ts';

/** Quiet time after a case opens before its conversation columns are loaded (see adopt). */
const WARM_DELAY_MS = 3000;
import { caseSummary } from './ingest/summary.ts';
import { importFromS3, type S3ImportRequest } from './s3/import.ts';

type AnalysisResult = Awaited<ReturnType<typeof runAnalysis>>;

export type EventListener = <E extends EventName>(event: E, payload: Events[E]) => void;

export interface WorkspaceOptions {
  mode?: 'electron' | 'browser';
  version?: string;
  /** The bundled demo investigation (resources/demo.tscope), when it exists. */
  demoPath?: string | null;
  /** Where unexpected errors go (stacks never reach the user). */
  log?: (message: string) => void;
  /** Minimum milliseconds between two progress events of one job (phase changes always go out). */
  progressIntervalMs?: number;
}

interface Job {
  id: string;
  /** Local files and folders, or (for an S3 import) the s3:// locations. */
  paths: string[];
  options: IngestOptions;
  s3?: S3ImportRequest;
  controller: AbortController;
  state: 'queued' | 'running' | 'done';
  done: Promise<void>;
}

export class Workspace {
  readonly mode: 'electron' | 'browser';
  readonly version: string;
  readonly demoPath: string | null;
  private readonly log: (message: string) => void;
  private readonly progressIntervalMs: number;
  private session: CaseSession | null = null;
  private readonly listeners = new Set<EventListener>();
  private readonly jobs = new Map<string, Job>();
  private queue: Promise<void> = Promise.resolve();
  private pendingAnalysis: Promise<AnalysisResult> | null = null;
  /** Serializes open/new/close so two clients cannot race a case switch. */
  private switching: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  /** Settles when the open case's background warm-up (see adopt) is done, or was skipped. */
  private warmed: Promise<void> = Promise.resolve();
  private creating: Promise<CaseSummary> | null = null;

  constructor(opts: WorkspaceOptions = {}) {
    this.mode = opts.mode ?? 'browser';
    this.version = opts.version ?? '0.0.0';
    this.demoPath = opts.demoPath ?? null;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.progressIntervalMs = opts.progressIntervalMs ?? 100;
  }

  // ---- events ------------------------------------------------------------------------------

  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<E extends EventName>(event: E, payload: Events[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch (e) {
        this.log(`event listener failed on ${event}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
  }

  // ---- the open case -----------------------------------------------------------------------

  /** The open case, or a clear error when none is open. */
  requireDb(): Db {
    return this.requireSession().db;
  }

  requireSession(): CaseSession {
    if (!this.session || this.session.isClosed) {
      throw new AppError('no-case', 'No investigation is open. Open a .tscope file or import logs first.');
    }
    return this.session;
  }

  get db(): Db | null {
    return this.session?.db ?? null;
  }

  get current(): CaseSession | null {
    return this.session;
  }

  get demoAvailable(): boolean {
    return !!this.demoPath && existsSync(this.demoPath);
  }

  async summary(): Promise<CaseSummary | null> {
    for (let attempt = 0; ; attempt++) {
      const s = this.session;
      if (!s || s.isClosed) return null;
      try {
        const summary = await caseSummary(s.db, s.path ?? '');
        // An untitled case has no file yet: path '' and the session's display name.
        return { ...summary, path: s.path ?? '', name: s.name, readOnly: s.readOnly, dirty: s.dirty };
      } catch (e) {
        // Another client switched the case while this was reading the old one: read the new one.
        if (s === this.session || attempt >= 2) throw e;
      }
    }
  }

  /** Emits `case.changed` with the current summary (after open, ingest, close, save, analysis). */
  async notifyChanged(): Promise<CaseSummary | null> {
    if (this.changeTimer) {
      clearTimeout(this.changeTimer);
      this.changeTimer = null;
    }
    const summary = await this.summary();
    this.emit('case.changed', summary);
    return summary;
  }

  private changeTimer: NodeJS.Timeout | null = null;

  /** Coalesces bursts of session changes (a note typed quickly) into one `case.changed`. */
  private changedSoon(): void {
    if (this.changeTimer) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      if (!this.shuttingDown) void this.notifyChanged().catch((e) => this.log(`case summary failed: ${toErrorValue(e).message}`));
    }, 150);
    this.changeTimer.unref?.();
  }

  async open(path: string, opts: { readOnly?: boolean } = {}): Promise<CaseSummary> {
    const target = resolve(path);
    if (!existsSync(target)) throw new AppError('not-found', `${target} does not exist. Check the path and try again.`);
    // The bundled demo is never written, however it is reached (menu, Recent, the OS).
    if (this.demoPath && target === resolve(this.demoPath)) opts = { ...opts, readOnly: true };
    return this.switchTo(async () => {
      if (this.session && !this.session.isClosed && this.session.path === target && !!opts.readOnly === this.session.readOnly) return this.session;
      return CaseSession.open(target, { readOnly: opts.readOnly });
    });
  }

  /**
   * The bundled demo, read-only: it is never written back into the app's resources. After a Save
   * As it is reopened read-write from the saved copy (see adopt), so the user can work on it.
   */
  async openDemo(): Promise<CaseSummary> {
    if (!this.demoPath || !existsSync(this.demoPath)) {
      throw new AppError('not-found', 'The demo investigation is not bundled with this build (run npm run demo:build).');
    }
    return this.open(this.demoPath, { readOnly: true });
  }

  async create(path?: string): Promise<CaseSummary> {
    const target = path === undefined ? undefined : resolve(path);
    return this.switchTo(() => CaseSession.create(target));
  }

  async close(): Promise<void> {
    await this.serialize(async () => {
      await this.cancelAll();
      const s = this.session;
      this.session = null;
      if (s) await s.close();
    });
    this.emit('case.changed', null);
  }

  /** Opens the next session first, so a failure leaves the current case open. */
  private async switchTo(next: () => Promise<CaseSession>): Promise<CaseSummary> {
    await this.serialize(async () => {
      await this.cancelAll();
      const opened = await next();
      if (opened === this.session) return;
      const old = this.session;
      this.adopt(opened);
      if (old) await old.close().catch((e) => this.log(`closing ${old.path} failed: ${toErrorValue(e).message}`));
    });
    const summary = await this.notifyChanged();
    if (!summary) throw new AppError('internal', 'The investigation closed while it was being opened.');
    return summary;
  }

  /**
   * Waits for the background work an open starts: the working copy, then the warm-up a few seconds
   * later. Benchmarks call it to measure interactive calls apart from that work.
   */
  async backgroundSettled(): Promise<void> {
    // The warm-up's timer does not keep the process alive (unref): this wait must.
    const alive = setInterval(() => undefined, 1000);
    try {
      await this.session?.writable().catch(() => undefined);
      await this.warmed;
    } finally {
      clearInterval(alive);
    }
  }

  private adopt(opened: CaseSession): void {
    this.session = opened;
    // A few seconds after the working copy is in place (the copy and the first view come first),
    // load the columns filters scan, so the analyst's first filter switch does not pay for reading
    // them. Not at once: a warm-up interrupted by an immediate close or open slowed that open by ~50 ms.
    this.warmed = opened
      .writable()
      .then(
        () =>
          new Promise<void>((done) => {
            const t = setTimeout(() => {
              if (opened === this.session && !opened.isClosed && !this.shuttingDown) void warmConversations(opened.db).catch(() => undefined).then(done);
              else done();
            }, WARM_DELAY_MS);
            t.unref?.();
          }),
      )
      .catch(() => undefined);
    const openedFrom = opened.path;
    opened.onChange = (changed) => {
      if (changed !== this.session) return;
      // A read-only case saved under a new name is the user's own copy now: reopen it writable.
      if (changed.readOnly && changed.path && changed.path !== openedFrom && !changed.dirty) {
        setTimeout(() => void this.reopenWritable(changed), 0);
        return;
      }
      // Saves, renames and dirty changes (notes, reviews, autosave) reach every client.
      this.changedSoon();
    };
  }

  private async reopenWritable(s: CaseSession): Promise<void> {
    try {
      await this.serialize(async () => {
        if (s !== this.session || s.isClosed || !s.path) return;
        const path = s.path;
        await this.cancelAll();
        this.session = null;
        await s.close(); // releases the lock the save took on the new file
        this.adopt(await CaseSession.open(path));
      });
    } catch (e) {
      this.log(`reopening the saved copy failed: ${toErrorValue(e).message}`);
    }
    await this.notifyChanged().catch((e) => this.log(`case summary failed: ${toErrorValue(e).message}`));
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    if (this.shuttingDown) return Promise.reject(new AppError('cancelled', 'Tunnelscope is shutting down.'));
    const run = this.switching.then(fn, fn);
    this.switching = run.catch(() => undefined);
    return run;
  }

  // ---- ingest jobs -------------------------------------------------------------------------

  /**
   * Queues an import into the open case (an untitled case is created when none is open, so logs
   * dropped on an empty window just work). Progress and the summary arrive as events.
   */
  async startIngest(paths: string[], options: IngestOptions = {}): Promise<{ jobId: string }> {
    if (this.shuttingDown) throw new AppError('cancelled', 'Tunnelscope is shutting down.');
    const missing = paths.map((p) => resolve(p)).filter((p) => !existsSync(p));
    if (missing.length) {
      const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
      throw new AppError('not-found', `${missing[0]}${more} does not exist. Check the path and try again.`);
    }
    return this.enqueue({ paths: paths.map((p) => resolve(p)), options });
  }

  /**
   * Queues an import of the objects under S3 locations that hold records of the window. Objects
   * already in the case (same key and ETag) are not fetched again, so re-running resumes.
   */
  async startS3Ingest(req: S3ImportRequest): Promise<{ jobId: string }> {
    if (this.shuttingDown) throw new AppError('cancelled', 'Tunnelscope is shutting down.');
    return this.enqueue({ paths: req.uris, options: req.ingest ?? {}, s3: req });
  }

  private async enqueue(work: Pick<Job, 'paths' | 'options' | 's3'>): Promise<{ jobId: string }> {
    if (!this.session || this.session.isClosed) {
      // Two imports dropped at once on an empty window go into the same new case.
      this.creating ??= this.create().finally(() => (this.creating = null));
      await this.creating;
    }
    const session = this.requireSession();
    if (session.readOnly) {
      throw new AppError('read-only', `${session.name} is open read-only. Save it under a new name (Save As) or start a new investigation to import more logs.`);
    }
    const job: Job = { id: randomUUID(), ...work, controller: new AbortController(), state: 'queued', done: Promise.resolve() };
    job.done = this.queue.then(() => this.runJob(job, session));
    this.queue = job.done;
    this.jobs.set(job.id, job);
    return { jobId: job.id };
  }

  /**
   * Runs the analysis on the open case in the import queue, so it never overlaps an import (it
   * changes instance-wide DuckDB settings, and would read a half-imported case). Callers that
   * arrive while one is queued or running share it.
   */
  analyze(): Promise<AnalysisResult> {
    const session = this.requireSession();
    if (this.pendingAnalysis) return this.pendingAnalysis;
    const run = this.queue.then(async () => runAnalysis(await session.writable()));
    this.pendingAnalysis = run.finally(() => (this.pendingAnalysis = null));
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return this.pendingAnalysis;
  }

  /** True when the job was queued or running and is now told to stop. */
  cancelIngest(jobId: string): boolean {
    const job = this.jobs.get(jobId);
    if (!job || job.state === 'done' || job.controller.signal.aborted) return false;
    job.controller.abort();
    return true;
  }

  /** Resolves when every queued job has finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.queue;
  }

  get runningJobs(): string[] {
    return [...this.jobs.values()].filter((j) => j.state !== 'done').map((j) => j.id);
  }

  private async runJob(job: Job, session: CaseSession): Promise<void> {
    const { signal } = job.controller;
    let summary: IngestSummary;
    try {
      if (signal.aborted) throw new AppError('cancelled', 'The import was cancelled before it started.');
      if (session !== this.session || session.isClosed) throw new AppError('cancelled', 'The investigation was closed before the import started.');
      job.state = 'running';
      let last = 0;
      let lastKey = '';
      const onProgress = (p: IngestProgress) => {
        const key = `${p.phase}|${p.fileIndex}|${p.file}`;
        const now = Date.now();
        if (key === lastKey && now - last < this.progressIntervalMs) return;
        last = now;
        lastKey = key;
        this.emit('ingest.progress', { ...p, jobId: job.id });
      };
      const result = job.s3 ? await this.runS3(job, job.s3, session, onProgress) : await ingestPaths(await session.writable(), job.paths, job.options, { signal, jobId: job.id, onProgress });
      summary = { ...result, jobId: job.id };
      if (summary.records > 0 || summary.files.some((f) => f.outcome === 'imported')) session.markDirty();
    } catch (e) {
      const err = toErrorValue(e);
      const cancelled = signal.aborted || err.code === 'cancelled';
      if (!cancelled) this.log(`import ${job.id} failed: ${e instanceof Error ? e.stack : String(e)}`);
      summary = {
        jobId: job.id,
        cancelled,
        files: job.paths.map((path) => ({ path, kind: 'unknown', outcome: cancelled ? 'cancelled' : 'failed', records: 0, quarantined: 0, message: err.message })),
        byKind: {},
        records: 0,
        quarantined: 0,
        duplicates: 0,
        timeMin: null,
        timeMax: null,
      };
    } finally {
      job.state = 'done';
      // Keep finished jobs briefly so a late cancel answers {cancelled:false} instead of "unknown".
      setTimeout(() => this.jobs.delete(job.id), 60_000).unref?.();
    }
    this.emit('ingest.done', summary);
    // New records change conversations, rollups and findings: analyse before the next job runs,
    // so the timeline and findings are current without the user asking.
    if (!summary.cancelled && summary.records > 0 && !signal.aborted && session === this.session && !session.isClosed) {
      try {
        const analysed = await runAnalysis(await session.writable(), { signal });
        this.emit('analysis.done', { findings: analysed.findings.length, elapsedMs: Math.round(analysed.elapsedMs) });
      } catch (e) {
        const err = toErrorValue(e);
        if (err.code !== 'cancelled') this.log(`analysis after import ${job.id} failed: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    if (session === this.session && !session.isClosed) {
      await this.notifyChanged().catch((e) => this.log(`summary after import failed: ${toErrorValue(e).message}`));
    }
  }

  /** An S3 job: download progress is reported as one pseudo-file per object fetched so far. */
  private async runS3(job: Job, req: S3ImportRequest, session: CaseSession, onProgress: (p: IngestProgress) => void): Promise<IngestSummary> {
    const s3 = await importFromS3(await session.writable(), req, {
      signal: job.controller.signal,
      onProgress: (p) =>
        onProgress({
          jobId: job.id,
          file: `${req.uris.join(', ')} (${p.objectsDone} of ${p.objectsTotal} objects${p.failed ? `, ${p.failed} failed` : ''})`,
          fileIndex: p.objectsDone,
          fileCount: p.objectsTotal,
          bytesDone: p.bytesDone,
          bytesTotal: p.bytesTotal,
          records: 0,
          quarantined: 0,
          etaSeconds: p.etaSeconds === null ? null : Math.ceil(p.etaSeconds),
          phase: 'reading',
        }),
      onIngestProgress: onProgress,
    });
    const base: IngestSummary = s3.ingest ?? { jobId: job.id, cancelled: s3.cancelled, files: [], byKind: {}, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
    const failed = s3.failed.map((f) => ({ path: f.uri, kind: 'unknown' as const, outcome: 'failed' as const, records: 0, quarantined: 0, message: f.reason }));
    return { ...base, cancelled: base.cancelled || s3.cancelled, files: [...base.files, ...failed] };
  }

  private async cancelAll(): Promise<void> {
    for (const job of this.jobs.values()) if (job.state !== 'done') job.controller.abort();
    await this.queue;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Quit path: aborts ingests, interrupts running queries, closes the case (CaseSession never
   * writes the user's file except in an atomic save, so nothing is left half-written).
   */
  async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    for (const job of this.jobs.values()) if (job.state !== 'done') job.controller.abort();
    this.session?.interruptSql();
    this.session?.db.interruptAll();
    await this.switching.catch(() => undefined);
    this.shuttingDown = true;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    await this.queue;
    const s = this.session;
    this.session = null;
    if (s) await s.close().catch((e) => this.log(`closing ${s.path} failed: ${toErrorValue(e).message}`));
    this.listeners.clear();
  }
}
