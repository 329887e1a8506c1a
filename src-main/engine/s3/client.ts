/**
 * One place that builds the S3 client. Credentials come from the SDK's standard chain
 * (environment, shared config and credentials files, profiles, SSO, instance roles); this module
 * never reads, logs or stores them.
 */
import { S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  profile?: string;
  region?: string;
  /** S3-compatible endpoint, e.g. http://127.0.0.1:9000 */
  endpointUrl?: string;
  /** Path-style addressing (bucket in the path); implied by an endpoint URL unless set to false. */
  forcePathStyle?: boolean;
}

export function makeS3Client(o: S3ClientOptions): S3Client {
  // The SDK warns on every load that Node 20 support ends; the user can do nothing about it here.
  process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING ??= '1';
  return new S3Client({
    ...(o.profile ? { profile: o.profile } : {}),
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(o.endpointUrl ? { endpoint: o.endpointUrl } : {}),
    forcePathStyle: o.forcePathStyle ?? !!o.endpointUrl,
    // Retries are ours (download.ts): they also cover bodies cut off mid-stream, which the SDK cannot see.
    maxAttempts: 1,
  });
}
