/** Flow-log objects in the three S3 key layouts AWS uses, for S3 import tests. */
import { gzipSync } from 'node:zlib';
import { startLocalS3, type LocalS3 } from './s3-local.ts';

export const BUCKET = 'acme-flowlogs';
const ACCOUNT = '012345678901';
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** One 5-minute flow-log file stamped `t` (records end inside [t, t+5 min)). */
function flowFile(t: number, eni: string): Buffer {
  const s = Math.floor(t / 1000);
  const lines = [HEADER];
  for (let i = 0; i < 3; i++) {
    lines.push(`2 ${ACCOUNT} ${eni} 10.0.1.${10 + i} 172.16.0.5 ${40000 + i} 443 6 10 840 ${s - 40} ${s + 20 + i} ACCEPT OK`);
  }
  return gzipSync(lines.join('\n') + '\n');
}

function stamp(t: number): string {
  const iso = new Date(t).toISOString(); // 2024-03-02T06:00:00.000Z → 20240302T0600Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}Z`;
}

const pad = (n: number) => String(n).padStart(2, '0');
export type Layout = 'daily' | 'hourly' | 'hive';

function keyFor(layout: Layout, t: number, flowLogId: string): string {
  const d = new Date(t);
  const [y, m, day, h] = [d.getUTCFullYear(), pad(d.getUTCMonth() + 1), pad(d.getUTCDate()), pad(d.getUTCHours())];
  const name = `${ACCOUNT}_vpcflowlogs_us-east-1_${flowLogId}_${stamp(t)}_${flowLogId.slice(3, 11)}.log.gz`;
  if (layout === 'daily') return `${layout}/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/${y}/${m}/${day}/${name}`;
  if (layout === 'hourly') return `${layout}/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/${y}/${m}/${day}/${h}/${name}`;
  return `${layout}/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=us-east-1/year=${y}/month=${m}/day=${day}/hour=${h}/${name}`;
}

export const DAY0 = Date.UTC(2024, 2, 1);
export const HOUR = 3_600_000;
export const since = new Date(DAY0 + 24 * HOUR + 6 * HOUR); // 2024-03-02T06:00Z
export const until = new Date(DAY0 + 24 * HOUR + 12 * HOUR); // 2024-03-02T12:00Z
/** Files every two hours over three days, in each layout: the window holds 06, 08, 10 and 12 h. */
export const stamps = Array.from({ length: 36 }, (_, i) => DAY0 + i * 2 * HOUR);
export const expectedPerLayout = stamps.filter((t) => t >= since.getTime() && t <= until.getTime()).length;


/** Starts a local S3 holding three days of flow-log files in each key layout. */
export async function startFlowLogBucket(): Promise<{ s3: LocalS3; keys: Record<Layout, string[]> }> {
  const keys: Record<Layout, string[]> = { daily: [], hourly: [], hive: [] };
  const s3 = await startLocalS3();
  await s3.createBucket(BUCKET);
  for (const layout of ['daily', 'hourly', 'hive'] as Layout[]) {
    for (const t of stamps) {
      const key = keyFor(layout, t, `fl-0a1b2c3d4e5f${layout.length}`);
      keys[layout].push(key);
      await s3.put(BUCKET, key, flowFile(t, `eni-0${layout.length}aa11bb22cc33dd4`));
    }
  }
  // CloudWatch export tasks leave this object behind; it is not a log.
  await s3.put(BUCKET, 'daily/aws-logs-write-test', 'Permission Check Successful');
  return { s3, keys };
}

