/**
 * `tunnelscope collect`: pull the evidence for one VPN connection and a time window from an AWS
 * account into a bundle folder (AWS-CLI-shaped JSON, the provenance one hands to AWS support),
 * then ingest that bundle (and the window of any S3 flow-log destinations) into a case and analyse.
 * Every API call stands alone: a failure is recorded in the summary and the rest goes on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FlowLog } from '@aws-sdk/client-ec2';
import type { Db } from '../db/index.ts';
import { runAnalysis } from '../analysis/index.ts';
import { ingestPaths } from '../ingest/service.ts';
import { importFromS3, type S3ImportSummary } from '../s3/import.ts';
import type { IngestProgress, IngestSummary } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { Bundle, fileSafe } from './bundle.ts';
import { CallLog, type CallOutcome } from './calls.ts';
import { makeClients, type AwsTarget } from './clients.ts';
import { collectConfig, type TunnelInfo } from './config.ts';
import { collectLogGroup } from './logs.ts';
import { collectMetrics } from './metrics.ts';

export interface CollectRequest extends AwsTarget {
  vpnConnectionId: string;
  since: Date;
  until: Date;
  bundleDir: string;
}

export interface CollectHooks {
  signal?: AbortSignal;
  /** One line per step, for stderr. */
  onStep?: (line: string) => void;
  onIngestProgress?: (p: IngestProgress) => void;
}

export interface BundleResult {
  bundleDir: string;
  /** Data files written (absolute), to be ingested. */
  files: string[];
  /** S3 flow-log destinations to import for the window. */
  s3Uris: string[];
  calls: CallOutcome[];
  /** Things an engineer should know that are not failures (logging off, unsupported destinations). */
  notes: string[];
  tunnels: TunnelInfo[];
}

export interface CollectResult {
  bundle: BundleResult;
  ingest: IngestSummary | null;
  s3: S3ImportSummary | null;
  findings: number | null;
  analysisError: string | null;
}

/** Delivery lags behind the records (about 5 min to CloudWatch Logs), so flow-log events are read a little past the window. */
const FLOW_LOG_LATE_MS = 10 * 60_000;

export const VPN_ID = /^vpn-[0-9a-f]{8,17}$/;

export function defaultBundleDir(casePath: string): string {
  return `${casePath}.evidence`;
}

export async function collectBundle(req: CollectRequest, hooks: CollectHooks = {}): Promise<BundleResult> {
  if (!VPN_ID.test(req.vpnConnectionId)) throw new AppError('bad-argument', `'${req.vpnConnectionId}' is not a VPN connection id (vpn- and 8 or 17 hex digits).`);
  if (!(req.since < req.until)) throw new AppError('bad-argument', '--since must be before --until.');
  mkdirSync(req.bundleDir, { recursive: true });
  const bundle = new Bundle(req.bundleDir);
  const log = new CallLog(hooks.onStep);
  const notes: string[] = [];
  const signal = hooks.signal;
  const clients = makeClients(req);
  try {
    const cfg = await collectConfig(clients.ec2, req.vpnConnectionId, bundle, log, signal);
    const vpnId = req.vpnConnectionId;
    notes.push(...cfg.notes);
    if (cfg.vpn) {
      if (!cfg.vpn.TransitGatewayId && !cfg.vpn.VpnGatewayId) notes.push(`${vpnId} is attached to neither a Transit Gateway nor a virtual private gateway (Cloud WAN?): no gateway configuration or flow logs were looked up.`);
      if (cfg.tunnels.length === 0) notes.push(`${vpnId} lists no tunnels: no tunnel metrics or logs to fetch.`);
    }
    await collectMetrics(clients.cw, vpnId, cfg.tunnels.map((t) => t.outsideIp), req.since, req.until, bundle, log, signal);

    const groups = new Map<string, string>();
    for (const t of cfg.tunnels) {
      if (t.logGroup) groups.set(t.logGroup, `vpn-logs/${fileSafe(t.logGroup)}.json`);
      else if (cfg.vpn) notes.push(`Tunnel ${t.outsideIp}: tunnel activity logging is not enabled (LogOptions.CloudWatchLogOptions.LogEnabled), so there are no IKE/DPD events for it.`);
      if (t.bgpLogGroup) groups.set(t.bgpLogGroup, `vpn-logs/${fileSafe(t.bgpLogGroup)}.json`);
    }
    for (const [group, rel] of groups) await collectLogGroup(clients.logs, group, rel, req, bundle, log, signal);

    const s3Uris = new Set<string>();
    const flowGroups = new Set<string>();
    for (const f of cfg.flowLogs) {
      const dest = flowLogDestination(f);
      if (f.DeliverLogsStatus === 'FAILED') notes.push(`Flow log ${f.FlowLogId}: delivery is failing (${f.DeliverLogsErrorMessage ?? 'no reason given'}); its records may be missing.`);
      if (dest.kind === 'cwl') flowGroups.add(dest.group);
      else if (dest.kind === 's3') s3Uris.add(dest.uri);
      else notes.push(`Flow log ${f.FlowLogId} on ${f.ResourceId} delivers to ${f.LogDestinationType ?? 'an unknown destination'} (${f.LogDestination ?? '-'}), which collect cannot read: export it and run 'tunnelscope ingest'.`);
    }
    const late = { since: req.since, until: new Date(req.until.getTime() + FLOW_LOG_LATE_MS) };
    for (const group of flowGroups) await collectLogGroup(clients.logs, group, `flow-logs/${fileSafe(group)}.json`, late, bundle, log, signal);
    if (cfg.vpn && cfg.flowLogs.length === 0 && log.calls.some((c) => c.api === 'ec2:DescribeFlowLogs' && c.ok)) {
      notes.push('No flow logs were found on the Transit Gateway, its attachments, or the VPCs and subnets behind it (flow logs on single network interfaces are not looked up).');
    }

    const result: BundleResult = {
      bundleDir: req.bundleDir,
      files: bundle.files.map((f) => join(req.bundleDir, f)),
      s3Uris: [...s3Uris],
      calls: log.calls,
      notes,
      tunnels: cfg.tunnels,
    };
    bundle.writeManifest({
      tool: 'tunnelscope collect',
      collectedAt: new Date().toISOString(),
      vpnConnectionId: vpnId,
      window: { since: req.since.toISOString(), until: req.until.toISOString() },
      region: req.region ?? null,
      endpointUrl: req.endpointUrl ?? null,
      files: bundle.files,
      s3FlowLogDestinations: result.s3Uris,
      calls: log.calls,
      notes,
    });
    return result;
  } finally {
    clients.destroy();
  }
}

type Destination = { kind: 'cwl'; group: string } | { kind: 's3'; uri: string } | { kind: 'other' };

export function flowLogDestination(f: FlowLog): Destination {
  const type = f.LogDestinationType ?? (f.LogGroupName ? 'cloud-watch-logs' : undefined);
  if (type === 'cloud-watch-logs') {
    const group = f.LogGroupName ?? (/:log-group:([^:]+)/.exec(f.LogDestination ?? '')?.[1] ?? null);
    return group ? { kind: 'cwl', group } : { kind: 'other' };
  }
  if (type === 's3' && f.LogDestination) {
    const m = /^arn:aws[a-z-]*:s3:::([^/]+)(?:\/(.*))?$/.exec(f.LogDestination);
    if (m) return { kind: 's3', uri: `s3://${m[1]}/${(m[2] ?? '').replace(/\/*$/, m[2] ? '/' : '')}` };
  }
  return { kind: 'other' };
}

/** The whole command: bundle, ingest, S3 flow logs, analysis. */
export async function collectIntoCase(db: Db, req: CollectRequest, hooks: CollectHooks = {}): Promise<CollectResult> {
  const bundle = await collectBundle(req, hooks);
  const out: CollectResult = { bundle, ingest: null, s3: null, findings: null, analysisError: null };
  if (bundle.files.length) {
    hooks.onStep?.(`ingesting ${bundle.files.length} bundle files…`);
    out.ingest = await ingestPaths(db, bundle.files, {}, { signal: hooks.signal, onProgress: hooks.onIngestProgress });
  }
  if (bundle.s3Uris.length && !hooks.signal?.aborted && !out.ingest?.cancelled) {
    hooks.onStep?.(`S3 flow logs: ${bundle.s3Uris.join(', ')}`);
    try {
      out.s3 = await importFromS3(
        db,
        { uris: bundle.s3Uris, since: req.since, until: req.until, profile: req.profile, region: req.region, endpointUrl: req.endpointUrl },
        {
          signal: hooks.signal,
          onIngestProgress: hooks.onIngestProgress,
          onPlan: (p) => hooks.onStep?.(`S3: ${p.objects} objects (${p.bytes} bytes) to fetch for the window; ${p.alreadyInCase} already in the case`),
        },
      );
    } catch (e) {
      if (hooks.signal?.aborted) throw e;
      // Listing a bucket failed (access denied, no such bucket): recorded like any other call.
      bundle.calls.push({ api: 's3:ListBucket', target: bundle.s3Uris.join(' '), ok: false, pages: 0, items: 0, code: (e as AppError).code ?? 'Error', error: (e as Error).message });
    }
  }
  const cancelled = hooks.signal?.aborted || out.ingest?.cancelled || out.s3?.cancelled;
  if (!cancelled && (out.ingest || out.s3)) {
    hooks.onStep?.('analysing…');
    try {
      out.findings = (await runAnalysis(db, { signal: hooks.signal })).findings.length;
    } catch (e) {
      if (hooks.signal?.aborted) throw e;
      out.analysisError = (e as Error).message;
    }
  }
  return out;
}
