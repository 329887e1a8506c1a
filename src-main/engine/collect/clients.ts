/**
 * The three AWS clients `collect` uses. Credentials come from the SDK's standard chain
 * (environment, shared config and credentials files, profiles, SSO, instance roles); nothing here
 * reads, logs or stores them. Throttling and 5xx answers are retried by the SDK (standard mode,
 * exponential back-off with jitter).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';

export interface AwsTarget {
  profile?: string;
  region?: string;
  /** One endpoint for every service (a test double, a proxy, a VPC endpoint of one service). */
  endpointUrl?: string;
  /** Attempts per call, first one included (default 5). */
  maxAttempts?: number;
}

export interface Clients {
  ec2: EC2Client;
  cw: CloudWatchClient;
  logs: CloudWatchLogsClient;
  destroy(): void;
}

export function makeClients(t: AwsTarget): Clients {
  process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING ??= '1';
  const config = {
    ...(t.profile ? { profile: t.profile } : {}),
    // Without --region the SDK takes AWS_REGION or the profile's region; it says so when neither is set.
    ...(t.region ? { region: t.region } : {}),
    ...(t.endpointUrl ? { endpoint: t.endpointUrl } : {}),
    maxAttempts: t.maxAttempts ?? 5,
    retryMode: 'standard',
  };
  const ec2 = new EC2Client(config);
  const cw = new CloudWatchClient(config);
  const logs = new CloudWatchLogsClient(config);
  return {
    ec2,
    cw,
    logs,
    destroy() {
      ec2.destroy();
      cw.destroy();
      logs.destroy();
    },
  };
}
