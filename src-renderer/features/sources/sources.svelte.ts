/**
 * Sources: importing files/folders (dropped, picked or typed as server-side paths), live per-file
 * progress of running ingest jobs, and the quarantined lines of a source.
 */
import type { IngestProgress, IngestSummary, QuarantineRow, SourceInfo } from '../../../src-main/shared/domain.ts';
import { isDesktop } from '../../lib/api/index.ts';
import { errorText, realApi, type ApiPort } from '../../lib/ui/api-port.ts';
import { workbench, type Workbench } from '../../lib/state/workbench.svelte.ts';

export interface FileState {
  file: string;
  fileIndex: number;
  bytesDone: number;
  bytesTotal: number;
  records: number;
  quarantined: number;
  etaSeconds: number | null;
  phase: IngestProgress['phase'];
}

export interface Job {
  jobId: string;
  paths: string[];
  fileCount: number;
  /** One entry per file seen in progress events, in file order. */
  files: FileState[];
  summary: IngestSummary | null;
  cancelling: boolean;
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

/** Folds one progress event into a job: the event's file is updated, earlier files are complete. */
export function applyProgress(job: Job, p: IngestProgress): Job {
  const files = job.files.map((f) =>
    f.fileIndex < p.fileIndex && f.phase !== 'done' ? { ...f, phase: 'done' as const, bytesDone: f.bytesTotal, etaSeconds: 0 } : f,
  );
  const entry: FileState = {
    file: p.file,
    fileIndex: p.fileIndex,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    records: p.records,
    quarantined: p.quarantined,
    etaSeconds: p.etaSeconds,
    phase: p.phase,
  };
  const i = files.findIndex((f) => f.fileIndex === p.fileIndex);
  if (i >= 0) files[i] = entry;
  else {
    files.push(entry);
    files.sort((a, b) => a.fileIndex - b.fileIndex);
  }
  return { ...job, fileCount: Math.max(job.fileCount, p.fileCount), files };
}

/** Job-level share done, counting finished files fully and the current one by bytes. */
export function jobFraction(job: Job): number {
  if (job.summary) return 1;
  if (!job.fileCount) return 0;
  let done = 0;
  for (const f of job.files) done += f.phase === 'done' ? 1 : f.bytesTotal > 0 ? Math.min(1, f.bytesDone / f.bytesTotal) : 0;
  return Math.min(1, done / job.fileCount);
}

/** Electron's preload may expose the real path of a dropped File; a browser never does. */
interface PathBridge {
  pathForFile?: (file: File) => string;
}
export function droppedPath(file: File): string | null {
  if (!isDesktop()) return null;
  try {
    const p = (window.api as unknown as PathBridge).pathForFile?.(file);
    return p || null;
  } catch {
    return null;
  }
}

export class SourcesState {
  jobs = $state<Job[]>([]);
  /** Server-side path(s) typed or pasted by the user. */
  pathText = $state('');
  /** Optional flow-log format string for headerless files. */
  formatText = $state('');
  error = $state<string | null>(null);
  starting = $state(false);
  dragging = $state(false);
  quarantine = $state<QuarantineView | null>(null);

  running = $derived(this.jobs.filter((j) => !j.summary));
  sources = $derived<SourceInfo[]>(this.wb.caseSummary?.sources ?? []);
  unattributed = $derived<string[]>(this.wb.caseSummary?.unattributedSeries ?? []);

  constructor(
    private api: ApiPort = realApi,
    private wb: Workbench = workbench,
  ) {}

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
    this.jobs = this.jobs.map((j) =>
      j.jobId === s.jobId
        ? { ...j, summary: s, cancelling: false, files: j.files.map((f) => (f.phase === 'done' || s.cancelled ? f : { ...f, phase: 'done', bytesDone: f.bytesTotal, etaSeconds: 0 })) }
        : j,
    );
    const failed = s.files.filter((f) => f.outcome === 'failed');
    if (s.cancelled) this.wb.notify('Import cancelled; files read before the cancel were kept.');
    else if (failed.length) this.wb.notify(`${failed.length} file(s) could not be imported: ${failed[0]!.message ?? failed[0]!.path}`, 'error');
    else this.wb.notify(`Imported ${s.records.toLocaleString('en-US')} records from ${s.files.length} file(s).`);
    await this.refreshCase();
  }

  private addJob(jobId: string, paths: string[]): Job {
    const job: Job = { jobId, paths, fileCount: 0, files: [], summary: null, cancelling: false };
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
      if (!this.wb.caseSummary) this.wb.openCase(await this.api.call('case.new', {}));
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

  async startFromText(): Promise<void> {
    await this.start(parsePathList(this.pathText));
    if (!this.error) this.pathText = '';
  }

  /** Files dropped on the window: real paths in Electron, a hint in the browser. */
  async drop(files: File[]): Promise<void> {
    this.dragging = false;
    const paths = files.map(droppedPath).filter((p): p is string => !!p);
    if (paths.length) return this.start(paths);
    if (files.length) {
      this.error =
        'The browser does not reveal where dropped files live. Type or paste their path on the machine running `tunnelscope serve` below' +
        ` (dropped: ${files.slice(0, 3).map((f) => f.name).join(', ')}${files.length > 3 ? ', …' : ''}).`;
    }
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
