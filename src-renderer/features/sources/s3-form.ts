/** The "Import from S3" form: what the analyst typed, checked and turned into `ingest.s3` arguments. */
import type { ArgsOf } from '../../../src-main/shared/contract.ts';
import { parseTimeInput } from '../conversations/time-input.ts';

export interface S3FormValues {
  uri: string;
  since: string;
  until: string;
  profile: string;
  region: string;
  endpointUrl: string;
  pathStyle: boolean;
}

export const emptyS3Form = (): S3FormValues => ({ uri: '', since: '', until: '', profile: '', region: '', endpointUrl: '', pathStyle: false });

/** The request, or the sentence explaining what to fix. */
export function s3Request(v: S3FormValues, tz: 'utc' | 'local'): { ok: true; args: ArgsOf<'ingest.s3'> } | { ok: false; error: string } {
  const uri = v.uri.trim();
  if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(uri)) return { ok: false, error: 'Give the S3 location as s3://bucket/prefix (for example s3://my-logs/AWSLogs/).' };
  const since = parseTimeInput(v.since, tz);
  const until = parseTimeInput(v.until, tz);
  if (Number.isNaN(since) || Number.isNaN(until)) return { ok: false, error: 'Give the incident window as two times, e.g. 2026-03-14 09:00 and 2026-03-14 11:00.' };
  if (since >= until) return { ok: false, error: 'The window must start before it ends.' };
  const args: ArgsOf<'ingest.s3'> = { uri, since: new Date(since).toISOString(), until: new Date(until).toISOString() };
  if (v.profile.trim()) args.profile = v.profile.trim();
  if (v.region.trim()) args.region = v.region.trim();
  if (v.endpointUrl.trim()) args.endpointUrl = v.endpointUrl.trim();
  if (v.pathStyle) args.pathStyle = true;
  return { ok: true, args };
}
