import { describe, expect, it } from 'vitest';
import type { IngestProgress, IngestSummary } from '../../src-main/shared/domain.ts';
import { SourcesState, applyProgress, applySummary, fileFraction, jobFraction, newJob, parsePathList } from '../../src-renderer/features/sources/sources.svelte.ts';
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
  // An excerpt of a real event stream (ingest of resources/demo/export): files are pipelined, so
  // events of neighbouring files interleave and carry job-wide totals from slightly different moments.
  it('follows pipelined files: a file being written closes the ones before it', () => {
    const ev = (fileIndex: number, phase: IngestProgress['phase'], bytesDone: number, quarantined: number, records = 0) =>
      progress({ fileIndex, file: `/d/f${fileIndex}.json`, fileCount: 126, bytesTotal: 478_611, bytesDone, quarantined, records, phase });
    let j = newJob('j1', []);
    for (const e of [ev(0, 'scanning', 0, 0), ev(1, 'scanning', 0, 0), ev(0, 'reading', 0, 0), ev(1, 'reading', 0, 0), ev(0, 'writing', 2020, 0)]) j = applyProgress(j, e);
    expect(j.files.map((f) => f.phase)).toEqual(['writing', 'reading']);
    j = applyProgress(j, ev(2, 'scanning', 4040, 69));
    j = applyProgress(j, ev(1, 'writing', 6114, 69));
    expect(j.files.map((f) => f.phase)).toEqual(['done', 'writing', 'scanning']);
    j = applyProgress(j, ev(2, 'reading', 4040, 69)); // an older snapshot: totals do not go back
    expect(j.bytesDone).toBe(6114);
    expect(j.quarantined).toBe(69);
    expect(jobFraction(j)).toBeCloseTo(6114 / 478_611);
    expect(j.files.every((f) => f.records === null)).toBe(true); // per-file numbers come with the summary
    expect(fileFraction(j.files[2]!)).toBeLessThan(fileFraction(j.files[1]!));
    // The closing event (no file, index = count) finishes everything without adding a row.
    j = applyProgress(j, progress({ fileIndex: 126, fileCount: 126, file: '', bytesDone: 478_611, bytesTotal: 478_611, records: 6513, quarantined: 1968, phase: 'done' }));
    expect(j.files.map((f) => f.phase)).toEqual(['done', 'done', 'done']);
    expect(jobFraction(j)).toBe(1);
  });

  it('takes outcomes and exact numbers from the summary', () => {
    let j = applyProgress(newJob('j1', []), progress({ fileIndex: 0, file: '/d/a.log', phase: 'reading' }));
    j = applyProgress(j, progress({ fileIndex: 1, file: '/d/b.log', phase: 'reading' }));
    j = applySummary(j, {
      jobId: 'j1', cancelled: false, byKind: {}, records: 5, quarantined: 1, duplicates: 1, timeMin: null, timeMax: null,
      files: [
        { path: '/d/a.log', kind: 'vpc_flows', outcome: 'imported', records: 5, quarantined: 1 },
        { path: '/d/b.log', kind: 'vpc_flows', outcome: 'duplicate', records: 0, quarantined: 0, message: 'same content as /d/a.log' },
      ],
    });
    expect(j.files.map((f) => [f.outcome, f.records])).toEqual([['imported', 5], ['duplicate', 0]]);
    expect(j.files[1]!.message).toMatch(/same content/);
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
    api.emit('ingest.progress', progress({ bytesDone: 100, phase: 'writing', fileCount: 1, records: 7 }));
    expect(s.jobs[0]!.records).toBe(7);
    expect(s.jobs[0]!.files[0]!.phase).toBe('writing');
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
