import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalS3 } from '../helpers/s3-local.ts';
import { BUCKET, expectedPerLayout, since, stamps, startFlowLogBucket, until, type Layout } from '../helpers/s3-fixture.ts';
import { Db } from '../../src-main/engine/db/index.ts';
import { importFromS3 } from '../../src-main/engine/s3/import.ts';

let s3: LocalS3;
let keys: Record<Layout, string[]>;
beforeAll(async () => {
  ({ s3, keys } = await startFlowLogBucket());
});
afterAll(async () => {
  await s3?.close();
});

describe('S3 import', () => {
  it('fetches exactly the window, ingests every record, and resumes without fetching twice', async () => {
    const db = await Db.open(':memory:');
    const plans: number[] = [];
    const first = await importFromS3(
      db,
      { uris: [`s3://${BUCKET}/daily/`, `s3://${BUCKET}/hourly/`, `s3://${BUCKET}/hive/`], since, until, endpointUrl: s3.endpoint, region: 'us-east-1' },
      { onPlan: (p) => plans.push(p.objects) },
    );
    expect(plans).toEqual([3 * expectedPerLayout]);
    expect(first.fetched).toBe(3 * expectedPerLayout);
    expect(first.failed).toEqual([]);
    const rows = await db.one<{ n: number; sources: number }>('SELECT (SELECT count(*) FROM vpc_flows) AS n, (SELECT count(*) FROM sources) AS sources');
    expect(rows).toEqual({ n: 3 * 3 * expectedPerLayout, sources: 3 * expectedPerLayout });
    const paths = await db.all<{ path: string }>("SELECT path FROM sources WHERE path LIKE 's3://%' ORDER BY path");
    expect(paths).toHaveLength(3 * expectedPerLayout);

    const before = s3.requests.length;
    const again = await importFromS3(db, {
      uris: [`s3://${BUCKET}/daily/`, `s3://${BUCKET}/hourly/`, `s3://${BUCKET}/hive/`],
      since,
      until,
      endpointUrl: s3.faultyEndpoint,
      region: 'us-east-1',
    });
    expect(again.plan.alreadyInCase).toBe(3 * expectedPerLayout);
    expect(again.fetched).toBe(0);
    expect(s3.requests.slice(before).filter((r) => r.method === 'GET' && !r.url.includes('list-type') && !r.url.includes('delimiter'))).toEqual([]);
    await db.close();
  });

  it('reports failing objects by key and lands the rest', async () => {
    const db = await Db.open(':memory:');
    const inWindow = keys.hourly.filter((_, i) => stamps[i]! >= since.getTime() && stamps[i]! <= until.getTime());
    const [serverError, cutMidBody, vanished, throttled] = inWindow;
    s3.faults.set(serverError!, { kind: 'status', status: 500, code: 'InternalError' });
    s3.faults.set(cutMidBody!, { kind: 'cut-body', afterBytes: 40 });
    s3.faults.set(vanished!, { kind: 'status', status: 404, code: 'NoSuchKey' });
    s3.faults.set(throttled!, { kind: 'status', status: 503, code: 'SlowDown', times: 2 });
    try {
      const result = await importFromS3(db, {
        uris: [`s3://${BUCKET}/hourly/`],
        since,
        until,
        endpointUrl: s3.faultyEndpoint,
        region: 'us-east-1',
        retries: 3,
        retryBaseMs: 5,
      });
      const failed = Object.fromEntries(result.failed.map((f) => [f.uri.replace(`s3://${BUCKET}/`, ''), f.reason]));
      expect(Object.keys(failed).sort()).toEqual([serverError, cutMidBody, vanished].sort());
      expect(failed[serverError!]).toMatch(/server error 500/);
      expect(failed[cutMidBody!]).toMatch(/network error|truncated|closed/);
      expect(failed[vanished!]).toMatch(/no longer exists/);
      expect(result.retries).toBeGreaterThanOrEqual(2 + 3 + 3);
      expect(result.fetched).toBe(inWindow.length - 3);
      const landed = await db.all<{ path: string }>('SELECT path FROM sources ORDER BY path');
      expect(landed.map((r) => r.path)).toContain(`s3://${BUCKET}/${throttled}`);
      expect(landed).toHaveLength(inWindow.length - 3);
    } finally {
      s3.faults.clear();
      await db.close();
    }
  });

  it('can be cancelled, and never stores credentials in the case', async () => {
    const db = await Db.open(':memory:');
    const ac = new AbortController();
    ac.abort();
    await expect(
      importFromS3(db, { uris: [`s3://${BUCKET}/daily/`], since, until, endpointUrl: s3.endpoint, region: 'us-east-1' }, { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    await importFromS3(db, { uris: [`s3://${BUCKET}/daily/`], since, until, endpointUrl: s3.endpoint, region: 'us-east-1' });
    const dump = await db.all<{ t: string }>("SELECT string_agg(CAST(s AS VARCHAR), ' ') AS t FROM (SELECT * FROM sources) s");
    expect(JSON.stringify(dump)).not.toContain('S3RVER');
    await db.close();
  });
});
