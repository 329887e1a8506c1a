import { describe, expect, it } from 'vitest';
import type { IngestProgress, IngestSummary } from '../../src-main/shared/domain.ts';
import { SourcesState, applyProgress, jobFraction, parsePathList, type Job } from '../../src-renderer/features/sources/sources.svelte.ts';
import { Workbench } from '../../src-renderer/lib/state/workbench.svelte.ts';
import { fakeApi, summary } from './ui-data-fakes.ts';

const progress = (p: Partial<IngestProgress>): IngestProgress => ({
  jobId: 'j1', file: '/data/a.log', fileIndex: 0, fileCount: 2, bytesDone: 0, bytesTotal: 100, records: 0, quarantined: 0, etaSeconds: null, phase: 'reading', ...p,
});

describe('sources: path list', () => {
  it('splits lines, commas and semicolons and strips quotes', () => {
    expect(parsePathList(' /a/b.log\n"/c d/e"; /f ,\n\n')).toEqual(['/a/b.log', '/c d/e', '/f']);
  });
});

describe('sources: progress folding', () => {
  const empty: Job = { jobId: 'j1', paths: [], fileCount: 0, files: [], summary: null, cancelling: false };
  it('tracks each file and completes earlier files when the next one starts', () => {
    let j = applyProgress(empty, progress({ bytesDone: 50, etaSeconds: 4 }));
    expect(j.files).toHaveLength(1);
    expect(jobFraction(j)).toBeCloseTo(0.25);
    j = applyProgress(j, progress({ file: '/data/b.log', fileIndex: 1, bytesDone: 10 }));
    expect(j.files.map((f) => f.phase)).toEqual(['done', 'reading']);
    expect(j.files[0]!.bytesDone).toBe(100);
    expect(jobFraction(j)).toBeCloseTo(0.55);
  });
});

describe('SourcesState', () => {
  it('creates a case when none is open, starts a job, follows events and refreshes the case on done', async () => {
    const api = fakeApi({
      'case.new': () => summary(),
      'ingest.start': () => ({ jobId: 'j1' }),
      'case.current': () => summary({ sources: [] }),
    });
    const wb = new Workbench();
    const s = new SourcesState(api, wb);
    const off = s.attach();
    s.pathText = '/srv/demo\n/srv/more.log';
    await s.startFromText();
    expect(api.calls.map((c) => c[0])).toEqual(['case.new', 'ingest.start']);
    expect(api.calls[1]![1]).toEqual({ paths: ['/srv/demo', '/srv/more.log'] });
    expect(s.pathText).toBe('');
    expect(s.running).toHaveLength(1);
    api.emit('ingest.progress', progress({ bytesDone: 100, phase: 'done', fileCount: 1 }));
    expect(s.jobs[0]!.files[0]!.bytesDone).toBe(100);
    const done: IngestSummary = { jobId: 'j1', cancelled: false, files: [], byKind: {}, records: 10, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
    api.emit('ingest.done', done);
    await new Promise((r) => setTimeout(r, 0));
    expect(s.running).toHaveLength(0);
    expect(api.calls.at(-1)![0]).toBe('case.current');
    off();
    expect(api.listenerCount()).toBe(0);
  });

  it('shows the engine error as a sentence and keeps the typed path', async () => {
    const api = fakeApi({ 'ingest.start': () => { throw new Error('No such file or folder: /nope'); } });
    const wb = new Workbench();
    wb.openCase(summary());
    const s = new SourcesState(api, wb);
    s.pathText = '/nope';
    await s.startFromText();
    expect(s.error).toBe('No such file or folder: /nope');
    expect(s.pathText).toBe('/nope');
  });

  it('asks for the quarantine of one source and pages on', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => ({ sourceId: 3, file: '/x.log', line: i + 1, raw: 'bad', reason: 'too few fields' }));
    const api = fakeApi({
      'quarantine.list': (a: { offset: number; limit: number }) => ({ total: 250, rows: rows.slice(a.offset, a.offset + a.limit) }),
    });
    const s = new SourcesState(api, new Workbench());
    await s.openQuarantine({ ...summary().sources[0]!, sourceId: 3, quarantined: 250 });
    expect(api.calls[0]).toEqual(['quarantine.list', { sourceId: 3, offset: 0, limit: 200 }]);
    expect(s.quarantine!.rows).toHaveLength(200);
    await s.moreQuarantine();
    expect(s.quarantine!.rows).toHaveLength(250);
    expect(s.quarantine!.rows[249]!.line).toBe(250);
  });
});
