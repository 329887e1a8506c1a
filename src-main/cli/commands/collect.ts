import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Db } from '../../engine/db/index.ts';
import { collectIntoCase, defaultBundleDir, VPN_ID, type CollectResult } from '../../engine/collect/index.ts';
import type { IngestProgress } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import { EXIT, type Command } from '../command.ts';
import { parseCliTime } from '../time.ts';

const USAGE = `usage: tunnelscope collect --vpn-connection vpn-… --since TIME --until TIME --case <file.tscope> [--profile P] [--region R] [--endpoint-url URL] [--bundle DIR] [--json]

Pulls the evidence for one Site-to-Site VPN connection and an incident window from the AWS account,
saves it as an evidence bundle (AWS-CLI-shaped JSON files plus manifest.json; pre-shared keys are
never written), imports it into the case and analyses it:
  - the VPN connection, its Transit Gateway, attachments, TGW route tables (routes, propagations),
    VPC route tables and the flow logs defined on them (EC2 API);
  - AWS/VPN metrics TunnelDataIn, TunnelDataOut, TunnelState per tunnel (CloudWatch GetMetricData);
  - tunnel activity and BGP log events, where the tunnel's logging is on (CloudWatch Logs);
  - flow logs: CloudWatch Logs destinations via FilterLogEvents, S3 destinations via the S3 import.
  --vpn-connection ID   the VPN connection (vpn-…)
  --since TIME --until TIME   the incident window (ISO 8601, UTC, or Unix seconds)
  --case FILE           the investigation file to create or add to
  --bundle DIR          where to keep the evidence files (default: <case>.evidence/ beside the case)
  --profile P --region R  AWS profile and region (standard credential chain otherwise)
  --endpoint-url URL    send every AWS call to this endpoint (a proxy or a test double)
  --json                print the summary as JSON
Each API call stands alone: access denied, throttling that outlasts the retries, or a missing log
group is reported in the summary and the rest is still collected. Progress goes to stderr.
Exit status: 0 ok, 1 completed but some calls failed or lines were quarantined, 2 usage,
3 failed (e.g. the VPN connection could not be read), 130 cancelled.`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      'vpn-connection': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      case: { type: 'string', short: 'c' },
      bundle: { type: 'string' },
      profile: { type: 'string' },
      region: { type: 'string' },
      'endpoint-url': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export const command: Command = {
  summary: 'collect VPN config, tunnel metrics, VPN/BGP logs and flow logs for a window from AWS into a case',
  usage: USAGE,
  async run(argv) {
    const { values } = parse(argv);
    if (values.help) {
      process.stdout.write(USAGE + '\n');
      return EXIT.ok;
    }
    const vpn = values['vpn-connection'];
    if (!vpn) throw new AppError('bad-argument', 'Say which VPN connection with --vpn-connection vpn-….');
    if (!values.case) throw new AppError('bad-argument', 'Say which case file to write with --case <file.tscope>.');
    if (!values.since || !values.until) throw new AppError('bad-argument', 'Give the incident window with --since TIME and --until TIME.');
    const since = parseCliTime(values.since, '--since');
    const until = parseCliTime(values.until, '--until');
    // Checked before the case file is created.
    if (!VPN_ID.test(vpn)) throw new AppError('bad-argument', `'${vpn}' is not a VPN connection id (vpn- and 8 or 17 hex digits).`);
    if (!(since < until)) throw new AppError('bad-argument', '--since must be before --until.');
    const bundleDir = resolve(values.bundle ?? defaultBundleDir(values.case));

    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const db = await Db.open(values.case);
    let res: CollectResult;
    try {
      res = await collectIntoCase(
        db,
        { vpnConnectionId: vpn, since, until, bundleDir, profile: values.profile, region: values.region, endpointUrl: values['endpoint-url'] },
        { signal: controller.signal, onStep: (l) => process.stderr.write(`collect: ${l}\n`), onIngestProgress: progressPrinter() },
      );
    } catch (e) {
      if (controller.signal.aborted) throw new AppError('cancelled', 'Collection was cancelled; the bundle folder holds what was fetched before the cancel.');
      throw e;
    } finally {
      process.removeListener('SIGINT', onSigint);
      await db.close();
    }
    process.stdout.write(values.json ? JSON.stringify(jsonSummary(res), null, 2) + '\n' : textSummary(res));
    if (res.ingest?.cancelled || res.s3?.cancelled) return EXIT.cancelled;
    if (!res.bundle.calls.some((c) => c.api === 'ec2:DescribeVpnConnections' && c.ok)) {
      process.stderr.write(`tunnelscope collect: could not read ${vpn}; see the failed calls above.\n`);
      return EXIT.failed;
    }
    const problems = res.bundle.calls.some((c) => !c.ok) || (res.s3?.failed.length ?? 0) > 0 || (res.ingest?.quarantined ?? 0) > 0 || (res.s3?.ingest?.quarantined ?? 0) > 0 || !!res.analysisError;
    return problems ? EXIT.quarantined : EXIT.ok;
  },
};

function progressPrinter(): (p: IngestProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase === 'done' || now - last < 1000) return;
    last = now;
    process.stderr.write(`collect: ingest file ${p.fileIndex + 1}/${p.fileCount}, ${p.records} records\n`);
  };
}

function jsonSummary(r: CollectResult) {
  return {
    bundle: r.bundle.bundleDir,
    files: r.bundle.files,
    s3FlowLogDestinations: r.bundle.s3Uris,
    tunnels: r.bundle.tunnels,
    calls: r.bundle.calls,
    notes: r.bundle.notes,
    ingest: r.ingest && { records: r.ingest.records, quarantined: r.ingest.quarantined, byKind: r.ingest.byKind },
    s3: r.s3 && { fetched: r.s3.fetched, bytes: r.s3.bytes, failed: r.s3.failed, records: r.s3.ingest?.records ?? 0 },
    findings: r.findings,
    analysisError: r.analysisError,
  };
}

function textSummary(r: CollectResult): string {
  const out = [`Evidence bundle: ${r.bundle.bundleDir} (${r.bundle.files.length} files, manifest.json lists every call)`];
  for (const c of r.bundle.calls) {
    out.push(`  ${c.ok ? 'ok    ' : 'FAILED'} ${c.api} ${c.target}: ${c.ok ? `${c.items} items${c.pages > 1 ? ` in ${c.pages} pages` : ''}` : c.error}`);
  }
  for (const n of r.bundle.notes) out.push(`  note: ${n}`);
  if (r.ingest) out.push(`Imported ${r.ingest.records} records (${r.ingest.quarantined} quarantined) from the bundle.`);
  if (r.s3) {
    out.push(`S3 flow logs: ${r.s3.fetched} objects fetched, ${r.s3.ingest?.records ?? 0} records${r.s3.failed.length ? `, ${r.s3.failed.length} objects failed` : ''}.`);
    for (const f of r.s3.failed) out.push(`  FAILED ${f.uri}: ${f.reason}`);
  }
  if (r.findings !== null) out.push(`Analysis: ${r.findings} findings (see 'tunnelscope analyze <case>').`);
  if (r.analysisError) out.push(`Analysis failed: ${r.analysisError}`);
  return out.join('\n') + '\n';
}
