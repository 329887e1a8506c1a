/**
 * Sources: importing files/folders (dropped, picked or typed as server-side paths), live per-file
 * progress of running ingest jobs, and the quarantined lines of a source.
 */
import { emptyS3Form, s3Request, type S3FormValues } from './s3-form.ts';
import type { IngestFileResult, IngestProgress, IngestSummary, QuarantineRow, SourceInfo } from '../../../src-main/shared/domain.ts';
import { errorText, realApi, type ApiPort } from '../../lib/ui/api-port.ts';
import { workbench, type Workbench } from '../../lib/state/workbench.svelte.ts';

/**
 * One file of a job. The engine reads files in a pipeline (the next file is scanned while the
 * previous one is written), and progress events carry job-wide running totals, so a file's own
 * record and quarantine counts are only known from the summary at the end; while running it shows
 * its phase.
 */
export interface FileState {
  file: string;
  fileIndex: number;
  phase: IngestProgress['phase'];
  records: number | null;
  quarantined: number | null;
  outcome: IngestFileResult['outcome'] | null;
  message: string | null;
}

export interface Job {
  jobId: string;
  paths: string[];
  fileCount: number;
  /** One entry per file seen in progress events, in file order. */
  files: FileState[];
  bytesDone: number;
  bytesTotal: number;
  records: number;
  quarantined: number;
  etaSeconds: number | null;
  summary: IngestSummary | null;
  cancelling: boolean;
}

export function newJob(jobId: string, paths: string[]): Job {
  return { jobId, paths, fileCount: 0, files: [], bytesDone: 0, bytesTotal: 0, records: 0, quarantined: 0, etaSeconds: null, summary: null, cancelling: false };
}

export interface QuarantineView {
  sourceId: number | null;
  title: string;
  total: number;
  rows: QuarantineRow[];
  loading: boolean;
  error: string | null;
}

const QUARANTINE_PAGE = 200;

/** Splits pasted text into paths: one per line, or several separated by commas/semicolons. */
export function parsePathList(text: string): string[] {
  return text
    .split(/[\r\n;,]+/)
    .map((s) => s.trim().replace(/^["']|["']$/g, ''))
    .filter(Boolean);
}

const PHASE_ORDER: Record<IngestProgress['phase'], number> = { scanning: 0, reading: 1, writing: 2, analyzing: 3, done: 4 };

/**
 * Folds one progress event into a job. Writes are serialized in file order, so when file j is
 * being written every file before it is done. Totals only grow (events from the pipeline can
 * arrive with a slightly older snapshot).
 */
export function applyProgress(job: Job, p: IngestProgress): Job {
  const closesBefore = p.phase === 'writing' || p.phase === 'done' ? p.fileIndex : -1;
  const files = job.files.map((f) => (f.fileIndex < closesBefore && f.phase !== 'done' ? { ...f, phase: 'done' as const } : f));
  // The final event (phase done, no file) only closes the files before it.
  if (p.file && p.fileIndex < p.fileCount) {
    const i = files.findIndex((f) => f.fileIndex === p.fileIndex);
    if (i < 0) {
      files.push({ file: p.file, fileIndex: p.fileIndex, phase: p.phase, records: null, quarantined: null, outcome: null, message: null });
      files.sort((a, b) => a.fileIndex - b.fileIndex);
    } else if (PHASE_ORDER[p.phase] > PHASE_ORDER[files[i]!.phase]) files[i] = { ...files[i]!, phase: p.phase };
  }
  return {
    ...job,
    fileCount: Math.max(job.fileCount, p.fileCount),
    files,
    bytesDone: Math.max(job.bytesDone, p.bytesDone),
    bytesTotal: Math.max(job.bytesTotal, p.bytesTotal),
    records: Math.max(job.records, p.records),
    quarantined: Math.max(job.quarantined, p.quarantined),
    etaSeconds: p.etaSeconds ?? job.etaSeconds,
  };
}

/** The summary's per-file results (in input order) settle every file's numbers and outcome. */
export function applySummary(job: Job, s: IngestSummary): Job {
  const files = job.files.map((f) => {
    const r = s.files[f.fileIndex];
    if (!r) return s.cancelled ? f : { ...f, phase: 'done' as const };
    return { ...f, phase: 'done' as const, records: r.records, quarantined: r.quarantined, outcome: r.outcome, message: r.message ?? null };
  });
  return { ...job, files, summary: s, cancelling: false, records: s.records, quarantined: s.quarantined, etaSeconds: 0, fileCount: Math.max(job.fileCount, s.files.length) };
}

/** A rough share done for the file being read: the engine reports phases, not bytes, within a file. */
export function fileFraction(f: FileState): number {
  if (f.phase === 'done' || f.outcome) return 1;
  return { scanning: 0.1, reading: 0.4, writing: 0.75, analyzing: 0.9, done: 1 }[f.phase];
}

/** Job-level share done: by bytes when the engine knows the total, else by files. */
export function jobFraction(job: Job): number {
  if (job.summary) return 1;
  if (job.bytesTotal > 0) return Math.min(1, job.bytesDone / job.bytesTotal);
  if (!job.fileCount) return 0;
  let done = 0;
  for (const f of job.files) done += fileFraction(f);
  return Math.min(1, done / job.fileCount);
}

export class SourcesState {
  // Declared first: the $derived fields below read them (lazily).
  private api: ApiPort = realApi;
  private wb: Workbench = workbench;

  jobs = $state<Job[]>([]);
  /** Server-side path(s) typed or pasted by the user. */
  pathText = $state('');
  /** Optional flow-log format string for headerless files. */
  formatText = $state('');
  error = $state<string | null>(null);
  starting = $state(false);
  dragging = $state(false);
  quarantine = $state<QuarantineView | null>(null);
  /** The "Import from S3" form. */
  s3 = $state<S3FormValues>(emptyS3Form());

  running = $derived(this.jobs.filter((j) => !j.summary));
  sources = $derived<SourceInfo[]>(this.wb.caseSummary?.sources ?? []);
  unattributed = $derived<string[]>(this.wb.caseSummary?.unattributedSeries ?? []);

  constructor(api: ApiPort = realApi, wb: Workbench = workbench) {
    this.api = api;
    this.wb = wb;}

  /** Subscribe to ingest events; returns the unsubscribe function (call from a component's $effect). */
  attach(): () => void {
    const offs = [this.api.on('ingest.progress', (p) => this.onProgress(p)), this.api.on('ingest.done', (s) => void this.onDone(s))];
    return () => offs.forEach((off) => off());
  }

  onProgress(p: IngestProgress): void {
    if (!this.jobs.some((j) => j.jobId === p.jobId)) this.addJob(p.jobId, []);
    this.jobs = this.jobs.map((j) => (j.jobId === p.jobId ? applyProgress(j, p) : j));
  }

  async onDone(s: IngestSummary): Promise<void> {
    if (!this.jobs.some((j) => j.jobId === s.jobId)) this.addJob(s.jobId, []);
    this.jobs = this.jobs.map((j) => (j.jobId === s.jobId ? applySummary(j, s) : j));
    const failed = s.files.filter((f) => f.outcome === 'failed');
    if (s.cancelled) this.wb.notify('Import cancelled; files read before the cancel were kept.');
    else if (failed.length) this.wb.notify(`${failed.length} file(s) could not be imported: ${failed[0]!.message ?? failed[0]!.path}`, 'error');
    else this.wb.notify(`Imported ${s.records.toLocaleString('en-US')} records from ${s.files.length} file(s).`);
    await this.refreshCase();
  }

  private addJob(jobId: string, paths: string[]): Job {
    const job = newJob(jobId, paths);
    this.jobs = [job, ...this.jobs].slice(0, 20);
    return job;
  }

  async refreshCase(): Promise<void> {
    try {
      const summary = await this.api.call('case.current');
      this.wb.openCase(summary);
    } catch (e) {
      this.error = errorText(e);
    }
  }

  /** Start importing the given paths (files, folders). Creates a case first when none is open. */
  async start(paths: string[]): Promise<void> {
    const list = [...new Set(paths.map((p) => p.trim()).filter(Boolean))];
    if (!list.length) {
      this.error = 'Type or paste a file or folder path first (one per line).';
      return;
    }
    this.error = null;
    this.starting = true;
    try {
      const current = this.wb.caseSummary;
      if (!current || current.readOnly) {
        await this.newCase();
        if (current?.readOnly) this.wb.notify(`${current.name} is read-only, so the import goes into a new investigation.`);
      }
      const format = this.formatText.trim();
      const { jobId } = await this.api.call('ingest.start', format ? { paths: list, format } : { paths: list });
      if (this.jobs.some((j) => j.jobId === jobId)) this.jobs = this.jobs.map((j) => (j.jobId === jobId ? { ...j, paths: list } : j));
      else this.addJob(jobId, list);
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.starting = false;
    }
  }

  /** Fetch the incident window from an S3 prefix into the open (or a new) investigation. */
  async startS3(): Promise<void> {
    const req = s3Request(this.s3, this.wb.timeZone);
    if (!req.ok) {
      this.error = req.error;
      return;
    }
    this.error = null;
    this.starting = true;
    try {
      const current = this.wb.caseSummary;
      if (!current || current.readOnly) await this.newCase();
      const { jobId } = await this.api.call('ingest.s3', req.args);
      if (!this.jobs.some((j) => j.jobId === jobId)) this.addJob(jobId, [req.args.uri]);
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.starting = false;
    }
  }

  /** Start an empty, untitled investigation (saved later with Save as). */
  async newCase(): Promise<void> {
    this.wb.openCase(await this.api.call('case.new', {}));
  }

  async newCaseClicked(): Promise<void> {
    this.error = null;
    try {
      await this.newCase();
    } catch (e) {
      this.error = errorText(e);
    }
  }

  async startFromText(): Promise<void> {
    await this.start(parsePathList(this.pathText));
    if (!this.error) this.pathText = '';
  }

  /**
   * Files dropped on the window. In the desktop app main.ts's window-level handler (installFileDrop)
   * already started the import and its progress arrives as events; a browser never reveals where a
   * dropped file lives, so there the analyst is asked for the server-side path instead.
   */
  drop(files: File[], desktop: boolean): void {
    this.dragging = false;
    if (desktop || !files.length) return;
    this.error =
      'The browser does not reveal where dropped files live. Type or paste their path on the machine running `tunnelscope serve` below' +
      ` (dropped: ${files.slice(0, 3).map((f) => f.name).join(', ')}${files.length > 3 ? ', …' : ''}).`;
    if (!this.pathText.trim()) this.pathText = files.map((f) => f.name).join('\n');
  }

  async cancel(jobId: string): Promise<void> {
    this.jobs = this.jobs.map((j) => (j.jobId === jobId ? { ...j, cancelling: true } : j));
    try {
      await this.api.call('ingest.cancel', { jobId });
    } catch (e) {
      this.error = errorText(e);
      this.jobs = this.jobs.map((j) => (j.jobId === jobId ? { ...j, cancelling: false } : j));
    }
  }

  dismissJob(jobId: string): void {
    this.jobs = this.jobs.filter((j) => j.jobId !== jobId);
  }

  /** Show the quarantined lines of one source (or of all sources when null). */
  async openQuarantine(source: SourceInfo | null): Promise<void> {
    this.quarantine = {
      sourceId: source?.sourceId ?? null,
      title: source ? source.path : 'all sources',
      total: source?.quarantined ?? 0,
      rows: [],
      loading: true,
      error: null,
    };
    await this.loadQuarantine(0);
  }

  async moreQuarantine(): Promise<void> {
    if (this.quarantine && !this.quarantine.loading) await this.loadQuarantine(this.quarantine.rows.length);
  }

  private async loadQuarantine(offset: number): Promise<void> {
    const q = this.quarantine;
    if (!q) return;
    this.quarantine = { ...q, loading: true };
    try {
      const args = q.sourceId === null ? { offset, limit: QUARANTINE_PAGE } : { sourceId: q.sourceId, offset, limit: QUARANTINE_PAGE };
      const page = await this.api.call('quarantine.list', args);
      if (this.quarantine?.sourceId !== q.sourceId) return;
      this.quarantine = { ...this.quarantine, total: page.total, rows: offset ? [...this.quarantine.rows, ...page.rows] : page.rows, loading: false, error: null };
    } catch (e) {
      if (this.quarantine) this.quarantine = { ...this.quarantine, loading: false, error: errorText(e) };
    }
  }

  closeQuarantine(): void {
    this.quarantine = null;
  }
}
