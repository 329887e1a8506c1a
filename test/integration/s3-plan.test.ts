import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalS3 } from '../helpers/s3-local.ts';
import { BUCKET, expectedPerLayout, since, stamps, startFlowLogBucket, until, type Layout } from '../helpers/s3-fixture.ts';
import { planWindow } from '../../src-main/engine/s3/plan.ts';
import { makeS3Client } from '../../src-main/engine/s3/client.ts';

let s3: LocalS3;
let keys: Record<Layout, string[]>;
beforeAll(async () => {
  ({ s3, keys } = await startFlowLogBucket());
});
afterAll(async () => {
  await s3?.close();
});

describe('S3 listing plan', () => {
  it.each(['daily', 'hourly', 'hive'] as Layout[])('lists only the window in the %s layout', async (layout) => {
    const client = makeS3Client({ endpointUrl: s3.endpoint, region: 'us-east-1' });
    const plan = await planWindow(client, BUCKET, `${layout}/`, { since: since.getTime(), until: until.getTime() });
    const inWindow = keys[layout].filter((_, i) => stamps[i]! >= since.getTime() && stamps[i]! <= until.getTime());
    expect(plan.objects.map((o) => o.key)).toEqual(inWindow.sort());
    expect(plan.objects).toHaveLength(expectedPerLayout);
    client.destroy();
  });

  it('never lists date partitions far outside the window', async () => {
    const before = s3.requests.length;
    const client = makeS3Client({ endpointUrl: s3.faultyEndpoint, region: 'us-east-1' });
    await planWindow(client, BUCKET, 'hourly/', { since: since.getTime(), until: until.getTime() });
    const listed = s3.requests.slice(before).map((r) => decodeURIComponent(r.url));
    expect(listed.some((u) => u.includes('/2024/03/01/'))).toBe(false);
    expect(listed.some((u) => u.includes('/2024/03/03/'))).toBe(false);
    expect(listed.some((u) => u.includes('/2024/03/02/10/'))).toBe(true);
    client.destroy();
  });
});

