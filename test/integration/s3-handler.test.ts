/**
 * `ingest.s3` through dispatch(), as the Sources view calls it: the job lands the window's objects,
 * reports progress and failures as events, and a re-run fetches nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from '../../src-main/engine/workspace.ts';
import { contextFor, dispatch } from '../../src-main/ipc/index.ts';
import type { IngestProgress, IngestSummary } from '../../src-main/shared/domain.ts';
import type { LocalS3 } from '../helpers/s3-local.ts';
import { BUCKET, expectedPerLayout, since, startFlowLogBucket, until } from '../helpers/s3-fixture.ts';

let s3: LocalS3;
beforeAll(async () => {
  ({ s3 } = await startFlowLogBucket());
});
afterAll(async () => {
  await s3?.close();
});

async function runJob(ws: Workspace, args: Record<string, unknown>) {
  const progress: IngestProgress[] = [];
  const done = new Promise<IngestSummary>((resolve) => {
    ws.onEvent((event, payload) => {
      if (event === 'ingest.progress') progress.push(payload as IngestProgress);
      if (event === 'ingest.done') resolve(payload as IngestSummary);
    });
  });
  const r = await dispatch('ingest.s3', args, contextFor(ws), () => undefined);
  expect(r.ok).toBe(true);
  return { summary: await done, progress };
}

describe('ingest.s3', () => {
  it('imports a window from S3 as a job, with progress, and resumes without refetching', async () => {
    const ws = new Workspace({ log: () => undefined, progressIntervalMs: 0 });
    try {
      const args = { uri: `s3://${BUCKET}/hive/`, since: since.toISOString(), until: until.toISOString(), endpointUrl: s3.endpoint, pathStyle: true };
      const first = await runJob(ws, args);
      expect(first.summary.records).toBe(3 * expectedPerLayout);
      expect(first.summary.files.filter((f) => f.outcome === 'imported')).toHaveLength(expectedPerLayout);
      expect(first.progress.some((p) => /of \d+ objects/.test(p.file))).toBe(true);
      await ws.idle();
      const second = await runJob(ws, args);
      expect(second.summary.records).toBe(0);
      expect(second.summary.files).toEqual([]);
    } finally {
      await ws.shutdown();
    }
  });

  it('refuses bad arguments as error values', async () => {
    const ws = new Workspace({ log: () => undefined });
    try {
      const ctx = contextFor(ws);
      const notS3 = await dispatch('ingest.s3', { uri: 'https://x', since: since.toISOString(), until: until.toISOString() }, ctx, () => undefined);
      expect(notS3).toMatchObject({ ok: false, error: { code: 'bad-argument' } });
      const backwards = await dispatch('ingest.s3', { uri: `s3://${BUCKET}/x`, since: until.toISOString(), until: since.toISOString() }, ctx, () => undefined);
      expect(backwards).toMatchObject({ ok: false, error: { code: 'bad-argument', message: expect.stringMatching(/before/) } });
    } finally {
      await ws.shutdown();
    }
  });
});
