/**
 * What a file is, from its content: gzip by magic bytes (not by name), a decompressed sample for
 * the handlers to judge, the content hash, and whether a gzip stream ends early (truncated).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import { handlers as registry } from './formats/index.ts';
import { PlainTextCheck } from './plain-text.ts';
import type { Detection, FormatHandler, Sample } from './types.ts';

const SAMPLE_BYTES = 64 * 1024;

export interface Probe {
  sha256: string;
  bytes: number;
  gzip: boolean;
  /** Byte offset (in the compressed file) where the gzip stream breaks off, when it does. */
  truncatedAt: number | null;
  /** Size of the content (decompressed for gzip, up to the damage). */
  plainBytes: number;
  /** The content is plain space-separated text (plain-text.ts): it may take the typed read_csv path. */
  plainText: boolean;
  /** Lines of a plain text file (PlainTextCheck.lines); meaningful when plainText. */
  lines: number;
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * One pass over the file: sha256 of the bytes as stored, and for gzip a full inflate that tells
 * whether the stream is complete (a truncated download inflates fine up to the damage).
 */
export async function probeFile(path: string): Promise<Probe> {
  const gzip = isGzip(await firstBytes(path, 2));
  const hash = createHash('sha256');
  let bytes = 0;
  let truncatedAt: number | null = null;
  let plainBytes = 0;
  const text = new PlainTextCheck();
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const closed = new Promise<void>((resolve, reject) => {
    input.on('close', resolve);
    input.on('error', reject);
  });
  input.on('data', (chunk) => {
    hash.update(chunk as Buffer);
    bytes += chunk.length;
    if (!gzip) text.push(chunk as Buffer);
  });
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    gunzip.on('data', (chunk: Buffer) => {
      plainBytes += chunk.length;
      text.push(chunk);
    });
    await new Promise<void>((resolve) => {
      gunzip.on('end', resolve);
      gunzip.on('error', () => {
        truncatedAt = gunzip.bytesWritten;
        input.unpipe(gunzip);
        input.resume();
        resolve();
      });
      input.pipe(gunzip);
    });
  }
  await closed;
  return { sha256: hash.digest('hex'), bytes, gzip, truncatedAt, plainBytes: gzip ? plainBytes : bytes, plainText: truncatedAt === null && text.plain, lines: text.lines };
}

export async function readSample(path: string, displayPath: string, gzip: boolean): Promise<Sample> {
  let buf = await firstBytes(path, gzip ? 4 * SAMPLE_BYTES : SAMPLE_BYTES);
  if (gzip) {
    try {
      buf = gunzipSync(buf, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      buf = Buffer.alloc(0);
    }
  }
  const head = buf.subarray(0, SAMPLE_BYTES).toString('utf8');
  const firstLine = head.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
  return { displayPath, head, firstLine };
}

export interface Pick {
  handler: FormatHandler;
  detection: Detection;
}

/** The handler with the highest confidence; ties go to the earlier one in the registry. */
export function pickHandler(sample: Sample, handlers: FormatHandler[] = registry): Pick | null {
  let best: Pick | null = null;
  for (const handler of handlers) {
    let detection: Detection | null = null;
    try {
      detection = handler.detect(sample);
    } catch {
      detection = null;
    }
    if (detection && detection.confidence > 0 && (!best || detection.confidence > best.detection.confidence)) best = { handler, detection };
  }
  return best;
}

/** A sentence saying why no handler took the file, from what it looks like. */
export function explainUnknown(sample: Sample, bytes: number): string {
  const { head, firstLine } = sample;
  if (bytes === 0) return 'the file is empty';
  if (head.startsWith('PK\u0003\u0004')) return 'a ZIP archive (or .xlsx spreadsheet): unpack it or export the original log files';
  if (/[\u0000-\u0008\u000e-\u001f]/.test(head.slice(0, 4096))) return 'binary content that is not a known log format (not text, gzip or Parquet flow logs)';
  const sampleLines = head.split('\n').filter((l) => l.trim()).slice(0, 20);
  const commaLines = sampleLines.filter((l) => l.split(',').length >= 8).length;
  if (commaLines >= 2 && commaLines * 2 >= sampleLines.length && /eni-|ACCEPT|REJECT|NODATA|\d+\.\d+E\+\d+/i.test(head)) {
    return 'a comma-separated spreadsheet export, not a flow log (flow logs are space-separated; spreadsheets also damage account IDs): import the original S3 or CloudWatch file';
  }
  if (firstLine.startsWith('{') || firstLine.startsWith('[')) return 'JSON whose shape is not a known AWS export (flow logs, metrics, VPN/BGP logs or configuration)';
  return `text in no known format (first line: "${firstLine.slice(0, 80)}")`;
}
