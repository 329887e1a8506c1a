import { describe, expect, it } from 'vitest';
import { datePartOf, fileStamp, objectInWindow, partitionOverlaps } from '../../src-main/engine/s3/window.ts';
import { parseS3Uri } from '../../src-main/engine/s3/uri.ts';
import { classify } from '../../src-main/engine/s3/retry.ts';

const t = (iso: string) => Date.parse(iso);

describe('S3 key layouts', () => {
  it('reads the 5-minute stamp from AWS flow-log object names', () => {
    expect(fileStamp('AWSLogs/123/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz')).toBe(
      t('2018-06-20T16:20:00Z'),
    );
    expect(fileStamp('x/123_vpcflowlogs_us-east-1_fl-1_20240101T0000Z_ab.log.parquet')).toBe(t('2024-01-01T00:00:00Z'));
    expect(fileStamp('exportedlogs/task/eni-1-all/000000.gz')).toBeNull();
  });

  it('recognises plain and Hive date partitions and rejects look-alikes', () => {
    expect(datePartOf('2024', 'year')).toBe(2024);
    expect(datePartOf('year=2024', 'year')).toBe(2024);
    expect(datePartOf('month=07', 'month')).toBe(7);
    expect(datePartOf('07', 'month')).toBe(7);
    expect(datePartOf('13', 'month')).toBeNull();
    expect(datePartOf('123456789012', 'year')).toBeNull();
    expect(datePartOf('aws-region=us-east-1', 'year')).toBeNull();
    expect(datePartOf('day=03', 'month')).toBeNull();
  });

  it('keeps a file whose records can reach into the window, with the aggregation margin', () => {
    const w = { since: t('2024-03-02T06:00:00Z'), until: t('2024-03-02T12:00:00Z') };
    const key = (stamp: string) => `a/1_vpcflowlogs_r_fl-1_${stamp}_h.log.gz`;
    expect(objectInWindow(key('20240302T0555Z'), w)).toBe(false); // records end before 06:00
    expect(objectInWindow(key('20240302T0556Z'), w)).toBe(true); // records end up to 06:01
    expect(objectInWindow(key('20240302T1210Z'), w)).toBe(true); // may start at 11:59
    expect(objectInWindow(key('20240302T1215Z'), w)).toBe(false);
    expect(objectInWindow('a/unstamped.log', w)).toBe(true);
  });

  it('prunes partitions that cannot overlap the window', () => {
    const w = { since: t('2024-03-02T06:00:00Z'), until: t('2024-03-02T12:00:00Z') };
    expect(partitionOverlaps({ year: 2024, month: 3, day: 1 }, w)).toBe(false);
    expect(partitionOverlaps({ year: 2024, month: 3, day: 2, hour: 5 }, w)).toBe(true); // margin
    expect(partitionOverlaps({ year: 2024, month: 3, day: 2, hour: 3 }, w)).toBe(false);
    expect(partitionOverlaps({ year: 2024, month: 2 }, w)).toBe(false);
  });
});

describe('S3 URIs and failures', () => {
  it('parses s3 URIs and refuses anything else with a clear message', () => {
    expect(parseS3Uri('s3://my-bucket/AWSLogs/')).toEqual({ bucket: 'my-bucket', prefix: 'AWSLogs/' });
    expect(parseS3Uri('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Uri('https://example.com/x')).toThrow(/expected s3:\/\/bucket\/prefix/);
  });

  it('tells retryable failures from final ones', () => {
    expect(classify({ name: 'SlowDown', $metadata: { httpStatusCode: 503 } }).retryable).toBe(true);
    expect(classify({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } })).toEqual({ retryable: false, reason: expect.stringMatching(/no longer exists/) });
    expect(classify({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }).reason).toMatch(/access denied/);
    expect(classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).retryable).toBe(true);
  });
});
