/**
 * A real S3-compatible server (s3rver) on 127.0.0.1, with an optional fault-injecting proxy in front
 * of it, for S3 import tests. Nothing here listens on anything but loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

type ListOptions = { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number };

export const TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type Fault =
  | { kind: 'status'; status: number; code: string; times?: number }
  | { kind: 'cut-body'; afterBytes: number; times?: number };

export interface LocalS3 {
  endpoint: string;
  /** Endpoint of the proxy that applies `faults`. */
  faultyEndpoint: string;
  client: S3Client;
  faults: Map<string, Fault>;
  requests: { method: string; url: string }[];
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  createBucket(bucket: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * s3rver 3.7.1 only reports common prefixes for keys one folder below the listed prefix (its
 * directory walk prunes deeper folders before it sees their keys), unlike S3. Listing by folder,
 * as the importer does, needs the S3 behaviour, so the store's listing is corrected here.
 */
let patched = false;
function patchDelimiterListing(): void {
  if (patched) return;
  patched = true;
  const original = FilesystemStore.prototype.listObjects;
  FilesystemStore.prototype.listObjects = async function (this: unknown, bucket: string, options: ListOptions) {
    const { delimiter = '', maxKeys = Infinity, prefix = '' } = options;
    if (!delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, { ...options, delimiter: '', maxKeys: Infinity });
    const common = new Set<string>();
    const objects: typeof all.objects = [];
    for (const o of all.objects) {
      const idx = o.key.slice(prefix.length).indexOf(delimiter);
      if (idx === -1) objects.push(o);
      else common.add(o.key.slice(0, prefix.length + idx + 1));
    }
    return { objects: objects.slice(0, maxKeys), commonPrefixes: [...common].sort(), isTruncated: objects.length > maxKeys };
  };
}

export async function startLocalS3(): Promise<LocalS3> {
  patchDelimiterListing();
  process.env.AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING = '1';
  // The SDK must never go looking for instance credentials or regions on the network.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  const dir = mkdtempSync(join(tmpdir(), 'tscope-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: TEST_CREDENTIALS });

  const faults = new Map<string, Fault>();
  const requests: { method: string; url: string }[] = [];
  const proxy = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    const path = decodeURIComponent((req.url ?? '').split('?')[0]!);
    const entry = req.method === 'GET' ? [...faults.entries()].find(([k]) => path.endsWith(k)) : undefined;
    const fault = entry?.[1];
    if (fault && (fault.times === undefined || fault.times > 0)) {
      if (fault.times !== undefined) fault.times--;
      if (fault.kind === 'status') {
        res.writeHead(fault.status, { 'content-type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected</Message></Error>`);
        return;
      }
      forward(req, res, port, fault.afterBytes);
      return;
    }
    forward(req, res, port, null);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const faultyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  return {
    endpoint,
    faultyEndpoint,
    client,
    faults,
    requests,
    async createBucket(bucket) {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      await server.close();
      client.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Passes a request through to s3rver; with `cutAfter`, drops the connection after that many body bytes. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, port: number, cutAfter: number | null): void {
  const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    if (cutAfter === null) {
      upRes.pipe(res);
      return;
    }
    let sent = 0;
    upRes.on('data', (chunk: Buffer) => {
      if (sent >= cutAfter) return;
      const part = chunk.subarray(0, cutAfter - sent);
      sent += part.length;
      res.write(part);
      if (sent >= cutAfter) res.socket?.destroy();
    });
  });
  req.pipe(up);
}
