import { describe, expect, it } from 'vitest';
import { s3Request, emptyS3Form } from '../../src-renderer/features/sources/s3-form.ts';
import { SourcesState } from '../../src-renderer/features/sources/sources.svelte.ts';
import { Workbench } from '../../src-renderer/lib/state/workbench.svelte.ts';
import { fakeApi, summary } from './ui-data-fakes.ts';

describe('sources: import from S3 form', () => {
  it('turns the form into ingest.s3 arguments, times read in the chosen zone', () => {
    const r = s3Request({ ...emptyS3Form(), uri: ' s3://my-logs/AWSLogs/ ', since: '2026-03-14 09:00', until: '2026-03-14 11:30', region: 'eu-west-1' }, 'utc');
    expect(r).toEqual({ ok: true, args: { uri: 's3://my-logs/AWSLogs/', since: '2026-03-14T09:00:00.000Z', until: '2026-03-14T11:30:00.000Z', region: 'eu-west-1' } });
  });

  it('explains what to fix', () => {
    expect(s3Request({ ...emptyS3Form(), uri: 'my-logs/AWSLogs' }, 'utc')).toMatchObject({ ok: false, error: expect.stringMatching(/s3:\/\/bucket\/prefix/) });
    expect(s3Request({ ...emptyS3Form(), uri: 's3://my-logs/', since: 'yesterday', until: '2026-03-14 11:00' }, 'utc')).toMatchObject({ ok: false, error: expect.stringMatching(/window/) });
    expect(s3Request({ ...emptyS3Form(), uri: 's3://my-logs/', since: '2026-03-14 11:00', until: '2026-03-14 09:00' }, 'utc')).toMatchObject({ ok: false, error: expect.stringMatching(/start before/) });
  });

  it('starts the job in a new investigation when the open one is read-only, and tracks it', async () => {
    const api = fakeApi({
      'case.new': () => summary({ name: 'untitled', readOnly: false, sources: [] }),
      'ingest.s3': () => ({ jobId: 'job-s3' }),
    });
    const wb = new Workbench();
    wb.openCase(summary({ name: 'demo', readOnly: true }));
    const s = new SourcesState(api, wb);
    s.s3 = { ...emptyS3Form(), uri: 's3://acme-flowlogs/hive/', since: '2024-03-02 06:00', until: '2024-03-02 12:00' };
    await s.startS3();
    expect(s.error).toBeNull();
    expect(api.calls.map(([c]) => c)).toEqual(['case.new', 'ingest.s3']);
    expect(api.calls[1]![1]).toMatchObject({ uri: 's3://acme-flowlogs/hive/', since: '2024-03-02T06:00:00.000Z' });
    expect(s.jobs.map((j) => j.jobId)).toEqual(['job-s3']);
  });
});
