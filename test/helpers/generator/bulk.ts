/**
 * Bulk mode for benchmarks: millions of flow records of the same topology, streamed straight into
 * 5-minute S3 .log.gz files (custom v5 VPC layout, default v6 TGW layout) without holding them in
 * memory. Realistic in shape and values, but without the session model (no scenarios, no truth).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGzip, constants } from 'node:zlib';
import { once } from 'node:events';
import { Rng } from './prng.ts';
import { s3Prefix, s3FileName } from './flow-writers.ts';
import {
  ACCOUNT, REGION, VPC_ID, TGW_ID, VPC_ATTACH, VPN_ATTACH, SUBNETS, ENIS, V5_FIELDS, TGW_DEFAULT_FIELDS, FLOW_LOGS, TGW_FLOW_LOG_ID, ONPREM, tgwEniFor,
} from './topology.ts';

export interface BulkOptions {
  vpcRecords: number;
  tgwRecords: number;
  seed: number;
  /** ISO start; default 2026-11-20T00:00:00Z. */
  start?: string;
  /** Records per 5-minute file (default 20 000). */
  perFile?: number;
  /**
   * Write conversations as a capture point logs them: an answered connection as one record per
   * direction (VPC: at the ENI; TGW: at both attachments), an unanswered SYN or a REJECT as one.
   * Off (the default), every record is a conversation of its own: the worst case for the analysis
   * and the conversation table, and what bench:ingest reads.
   */
  paired?: boolean;
}

export interface BulkResult { files: string[]; vpcRecords: number; tgwRecords: number; bytes: number }

const PORTS = [443, 443, 443, 5432, 22, 53, 389, 8080];

async function writeGz(path: string, chunks: () => Generator<string>): Promise<number> {
  mkdirSync(dirname(path), { recursive: true });
  const gz = createGzip({ level: 1, memLevel: 9, strategy: constants.Z_DEFAULT_STRATEGY });
  const file = createWriteStream(path);
  gz.pipe(file);
  let raw = 0;
  for (const c of chunks()) {
    raw += c.length;
    if (!gz.write(c)) await once(gz, 'drain');
  }
  gz.end();
  await once(file, 'close');
  return raw;
}

export async function writeBulkFlowExport(outDir: string, opts: BulkOptions): Promise<BulkResult> {
  const rng = new Rng(opts.seed);
  const start = Math.floor(Date.parse(opts.start ?? '2026-11-20T00:00:00Z') / 300_000) * 300;
  const perFile = opts.perFile ?? 20_000;
  const appEnis = ENIS.filter((e) => !e.tgw);
  const files: string[] = [];
  let bytes = 0;
  const v5Version = '5';

  const vpcFiles = Math.ceil(opts.vpcRecords / perFile);
  for (let i = 0; i < vpcFiles; i++) {
    const bucket = start + i * 300;
    const n = Math.min(perFile, opts.vpcRecords - i * perFile);
    const rel = `AWSLogs-bulk/${s3Prefix(bucket, false, true)}${s3FileName(FLOW_LOGS.appA.id, bucket, opts.seed)}`.replace('AWSLogs-bulk/', '');
    const path = join(outDir, 'vpc', rel);
    bytes += await writeGz(path, function* () {
      yield V5_FIELDS.join(' ') + '\n';
      let buf = '';
      for (let j = 0; j < n; ) {
        const e = appEnis[rng.int(0, appEnis.length - 1)]!;
        const sub = SUBNETS[e.subnet];
        const peer = rng.chance(0.7) ? `${ONPREM.clientPrefix}${rng.int(20, 180)}` : `10.10.${rng.int(1, 2)}.${rng.int(10, 60)}`;
        const port = PORTS[rng.int(0, PORTS.length - 1)]!;
        const proto = port === 53 ? 17 : 6;
        const eph = rng.int(32768, 65535);
        const inbound = rng.chance(0.5);
        const [src, dst, sp, dp] = inbound ? [peer, e.ip, eph, port] : [e.ip, peer, port, eph];
        const end = bucket + rng.int(0, 299);
        const st = end - rng.int(0, 59);
        const pk = rng.int(1, 400);
        const by = pk * rng.int(52, 1400);
        const reject = rng.chance(0.01);
        const record = (a: string, b: string, ap: number, bp: number, flags: number, dir: string, p: number, y: number) =>
          `${v5Version} ${ACCOUNT} ${e.id} ${a} ${b} ${ap} ${bp} ${proto} ${p} ${y} ${st} ${end} ${reject ? 'REJECT' : 'ACCEPT'} OK ${VPC_ID} ${sub.id} ${e.instanceId} ${flags} IPv4 ${a} ${b} ${REGION} ${sub.az} ${dir} ${dir === 'ingress' ? '-' : '1'}\n`;
        // Paired: 85 % answered (both directions; client SYN+ACK+FIN, server SYN-ACK+FIN), the rest a lone SYN.
        const answered = opts.paired && !reject && proto === 6 && j + 1 < n && rng.chance(0.85);
        const flags = proto !== 6 ? 0 : answered ? 19 : opts.paired ? 2 : [0, 0, 0, 2, 18, 1, 3, 19, 4][rng.int(0, 8)]!;
        buf += record(src, dst, sp, dp, flags, inbound ? 'ingress' : 'egress', pk, by);
        j++;
        if (answered) {
          const rpk = rng.int(1, 400);
          buf += record(dst, src, dp, sp, 19, inbound ? 'egress' : 'ingress', rpk, rpk * rng.int(52, 1400));
          j++;
        }
        if (buf.length > 256_000) { yield buf; buf = ''; }
      }
      if (buf) yield buf;
    });
    files.push(path);
  }

  const tgwFiles = Math.ceil(opts.tgwRecords / perFile);
  for (let i = 0; i < tgwFiles; i++) {
    const bucket = start + i * 300;
    const n = Math.min(perFile, opts.tgwRecords - i * perFile);
    const path = join(outDir, 'tgw', `${s3Prefix(bucket, false, false)}${s3FileName(TGW_FLOW_LOG_ID, bucket, opts.seed)}`);
    bytes += await writeGz(path, function* () {
      yield TGW_DEFAULT_FIELDS.join(' ') + '\n';
      let buf = '';
      for (let j = 0; j < n; ) {
        const e = appEnis[rng.int(0, appEnis.length - 1)]!;
        const tg = tgwEniFor(e);
        const sub = SUBNETS[tg.subnet];
        const client = `${ONPREM.clientPrefix}${rng.int(20, 180)}`;
        const port = PORTS[rng.int(0, PORTS.length - 1)]!;
        const proto = port === 53 ? 17 : 6;
        const eph = rng.int(32768, 65535);
        const toAws = rng.chance(0.5);
        const atVpn = rng.chance(0.5);
        const [src, dst, sp, dp] = toAws ? [client, e.ip, eph, port] : [e.ip, client, port, eph];
        const vpcSide = `${ACCOUNT} ${VPC_ID} ${sub.id} ${tg.id} ${sub.az}`.split(' ');
        const dash = ['-', '-', '-', '-', '-'];
        const end = bucket + rng.int(0, 299);
        const st = end - rng.int(0, 59);
        const record = (a: string, b: string, ap: number, bp: number, towardAws: boolean, vpn: boolean, flags: () => number) => {
          const s = towardAws ? dash : vpcSide;
          const d = towardAws ? vpcSide : dash;
          const att = vpn ? VPN_ATTACH : VPC_ATTACH;
          const pair = vpn ? VPC_ATTACH : VPN_ATTACH;
          const dir = (towardAws && vpn) || (!towardAws && !vpn) ? 'ingress' : 'egress';
          const pk = rng.int(1, 400);
          const by = pk * rng.int(52, 1400);
          return `6 TransitGateway ${ACCOUNT} ${TGW_ID} ${att} ${s[0]} ${d[0]} ${s[1]} ${d[1]} ${s[2]} ${d[2]} ${s[3]} ${d[3]} ${s[4]} ${d[4]} ${pair} ${a} ${b} ${ap} ${bp} ${proto} ${pk} ${by} ${st} ${end} OK IPv4 0 0 0 0 ${flags()} ${REGION} ${dir} - -\n`;
        };
        // Paired: 85 % answered, logged at both attachments in both directions (4 records); the rest a lone SYN.
        const answered = opts.paired && proto === 6 && j + 3 < n && rng.chance(0.85);
        if (answered) {
          for (const vpn of [true, false]) {
            buf += record(src, dst, sp, dp, toAws, vpn, () => 19);
            buf += record(dst, src, dp, sp, !toAws, vpn, () => 19);
          }
          j += 4;
        } else {
          buf += record(src, dst, sp, dp, toAws, atVpn, () => (proto !== 6 ? 0 : opts.paired ? 2 : [0, 0, 0, 2, 18, 1, 3, 19, 4][rng.int(0, 8)]!));
          j++;
        }
        if (buf.length > 256_000) { yield buf; buf = ''; }
      }
      if (buf) yield buf;
    });
    files.push(path);
  }
  return { files, vpcRecords: opts.vpcRecords, tgwRecords: opts.tgwRecords, bytes };
}
