import { AppError } from '../../shared/result.ts';

export interface S3Location {
  bucket: string;
  /** Key prefix without a leading slash; may be empty (whole bucket). */
  prefix: string;
}

export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri.trim());
  if (!m) throw new AppError('bad-argument', `'${uri}' is not an S3 location; expected s3://bucket/prefix.`);
  return { bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+/, '') };
}

export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function isS3Uri(s: string): boolean {
  return s.startsWith('s3://');
}
