/**
 * The ingest service: walks folders, hashes each file, skips files the case already holds, picks
 * a format handler from content and loads the file inside ONE transaction together with its
 * sources row, so a cancel or a failure leaves the case exactly as it was before that file.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readdir, rm, stat, symlink, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { Conn, Db } from '../db/index.ts';
import { AppError, toErrorValue } from '../../shared/result.ts';
import type { IngestFileResult, IngestOptions, IngestProgress, IngestSummary, SourceKind } from '../../shared/domain.ts';
import { explainUnknown, pickHandler, probeFile, readSample, type Probe } from './detect.ts';
import { parseUserFormat } from './fields.ts';
import { RAW_LINES, RAW_TABLE, stageLines } from './lines.ts';
import type { Detection, IngestInput, LoadContext, LoadResult, Sample } from './types.ts';

export interface IngestControl {
  signal?: AbortSignal;
  onProgress?: (p: IngestProgress) => void;
  jobId?: string;
}

const RAW_LIMIT = 4096;

/** Every regular file under the given paths, folders walked recursively, dotfiles skipped. */
export async function walkPaths(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const visit = async (p: string, top: boolean): Promise<void> => {
    let st;
    try {
      st = await stat(p);
    } catch {
      if (top) throw new AppError('not-found', `${p} does not exist.`);
      return;
    }
    if (st.isDirectory()) {
      const entries = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
      for (const e of entries) await visit(join(p, e), false);
    } else if (st.isFile()) {
      if (top || !basename(p).startsWith('.')) out.push(resolve(p));
    }
  };
  for (const p of paths) await visit(p, true);
  return out;
}

export async function ingestPaths(db: Db, paths: string[], options: IngestOptions = {}, control: IngestControl = {}): Promise<IngestSummary> {
  const files = await walkPaths(paths);
  return ingestInputs(db, files.map((localPath) => ({ localPath })), options, control);
}

export async function ingestInputs(db: Db, inputs: IngestInput[], options: IngestOptions = {}, control: IngestControl = {}): Promise<IngestSummary> {
  if (options.format) parseUserFormat(options.format);
  const jobId = control.jobId ?? randomUUID();
  const signal = control.signal ?? new AbortController().signal;
  const sizes = await Promise.all(inputs.map(async (i) => (await stat(i.localPath)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
  const summary: IngestSummary = { jobId, cancelled: false, files: [], byKind: {}, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
  const started = Date.now();
  let bytesDone = 0;
  let records = 0;
  let quarantined = 0;
  const emit = (i: number, file: string, inFile: number, phase: IngestProgress['phase']) => {
    if (!control.onProgress) return;
    const done = bytesDone + inFile;
    const elapsed = (Date.now() - started) / 1000;
    const eta = done > 0 && elapsed > 0.5 ? Math.max(0, ((bytesTotal - done) * elapsed) / done) : null;
    control.onProgress({ jobId, file, fileIndex: i, fileCount: inputs.length, bytesDone: done, bytesTotal, records, quarantined, etaSeconds: eta === null ? null : Math.round(eta), phase });
  };
  const tmp = await mkdtemp(join(tmpdir(), 'tscope-ingest-'));
  try {
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const display = input.displayPath ?? input.localPath;
      if (signal.aborted) {
        summary.cancelled = true;
        break;
      }
      emit(i, display, 0, 'scanning');
      const res = await ingestOne(db, input, display, options, signal, tmp, (phase, rec, q) => {
        emit(i, display, phase === 'writing' ? Math.floor(sizes[i]! / 2) : 0, phase);
        void rec;
        void q;
      });
      bytesDone += sizes[i]!;
      summary.files.push(res.file);
      if (res.file.outcome === 'cancelled') {
        summary.cancelled = true;
        break;
      }
      records += res.file.records;
      quarantined += res.file.quarantined;
      const k = (summary.byKind[res.file.kind] ??= { files: 0, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null });
      k.files++;
      k.records += res.file.records;
      k.quarantined += res.file.quarantined;
      if (res.file.outcome === 'duplicate') {
        k.duplicates++;
        summary.duplicates++;
      }
      k.timeMin = minIso(k.timeMin, res.timeMin);
      k.timeMax = maxIso(k.timeMax, res.timeMax);
      emit(i, display, 0, 'writing');
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  summary.records = records;
  summary.quarantined = quarantined;
  for (const k of Object.values(summary.byKind)) {
    summary.timeMin = minIso(summary.timeMin, k.timeMin);
    summary.timeMax = maxIso(summary.timeMax, k.timeMax);
  }
  if (control.onProgress) {
    control.onProgress({ jobId, file: '', fileIndex: inputs.length, fileCount: inputs.length, bytesDone, bytesTotal, records, quarantined, etaSeconds: 0, phase: 'done' });
  }
  return summary;
}

function minIso(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a < b ? a : b;
}
function maxIso(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : a > b ? a : b;
}

interface OneResult {
  file: IngestFileResult;
  timeMin: string | null;
  timeMax: string | null;
}

async function ingestOne(
  db: Db,
  input: IngestInput,
  display: string,
  options: IngestOptions,
  signal: AbortSignal,
  tmp: string,
  phase: (p: IngestProgress['phase'], records: number, quarantined: number) => void,
): Promise<OneResult> {
  const probe = await probeFile(input.localPath);
  const dup = await db.one<{ source_id: number; path: string; kind: SourceKind }>('SELECT source_id, path, kind FROM sources WHERE sha256 = $h LIMIT 1', {
    h: probe.sha256,
  });
  if (dup) {
    return {
      file: { path: display, kind: dup.kind, outcome: 'duplicate', records: 0, quarantined: 0, message: `same content as ${dup.path}, already in the case` },
      timeMin: null,
      timeMax: null,
    };
  }
  const sample = await readSample(input.localPath, display, probe.gzip);
  const picked = pickHandler(sample);
  const detection: Detection = picked?.detection ?? { kind: 'unknown', format: 'unknown', confidence: 0 };
  const prepared = await prepareLocal(input.localPath, probe, tmp);
  phase('reading', 0, 0);

  const run = async (conn: Conn): Promise<LoadResult & { sourceId: number }> =>
    conn.transaction(async () => {
      const row = await conn.one<{ id: number }>(
        `INSERT INTO sources (path, kind, format, sha256, bytes, etag, status) VALUES ($path, $kind, $format, $sha, $bytes, $etag, 'complete') RETURNING source_id AS id`,
        { path: display, kind: detection.kind, format: detection.format, sha: probe.sha256, bytes: probe.bytes, etag: input.etag ?? null },
      );
      const sourceId = row!.id;
      const ctx: LoadContext = {
        conn,
        sourceId,
        localPath: prepared.path,
        displayPath: display,
        detection,
        sample,
        options,
        signal,
        progress: (_bytes, recs) => phase('writing', recs, 0),
      };
      let result = picked ? await picked.handler.load(ctx) : await loadUnknown(ctx, explainUnknown(sample, probe.bytes));
      if (prepared.truncated) result = await recordTruncation(ctx, result, prepared.truncated);
      await conn.run(
        `UPDATE sources SET kind = $kind, format = $format, fields = $fields, lines_read = $lines, records = $records, header_lines = $headers,
           blank_lines = $blanks, overlap_records = $overlap, quarantined = $quarantined, time_min = $tmin::TIMESTAMPTZ, time_max = $tmax::TIMESTAMPTZ,
           status = $status, message = $message
         WHERE source_id = $id`,
        {
          id: sourceId,
          kind: result.kind ?? detection.kind,
          format: result.format ?? detection.format,
          fields: result.fields ?? null,
          lines: result.linesRead,
          records: result.records,
          headers: result.headerLines,
          blanks: result.blankLines,
          overlap: result.overlapRecords,
          quarantined: result.quarantined,
          tmin: result.timeMin,
          tmax: result.timeMax,
          status: result.status ?? 'complete',
          message: result.message ?? null,
        },
      );
      return { ...result, sourceId };
    });

  try {
    const result = await withInterrupt(db, signal, run);
    const kind = (result.kind ?? detection.kind) as SourceKind;
    return {
      file: {
        path: display,
        kind,
        outcome: 'imported',
        records: result.records,
        quarantined: result.quarantined,
        message: result.message ?? (result.overlapRecords ? `${result.overlapRecords} records already in the case from another source` : undefined),
      },
      timeMin: result.timeMin,
      timeMax: result.timeMax,
    };
  } catch (e) {
    const err = toErrorValue(e);
    if (signal.aborted || err.code === 'cancelled') {
      return { file: { path: display, kind: detection.kind, outcome: 'cancelled', records: 0, quarantined: 0, message: 'cancelled; the case is as it was before this file' }, timeMin: null, timeMax: null };
    }
    if (e instanceof AppError && e.code === 'bad-argument') throw e;
    // The load failed as a whole: record the file and why, so nothing disappears silently.
    const reason = `could not be read as ${detection.kind === 'unknown' ? 'any known format' : detection.format}: ${err.message}`;
    await db.use((conn) =>
      conn.transaction(async () => {
        const row = await conn.one<{ id: number }>(
          `INSERT INTO sources (path, kind, format, sha256, bytes, etag, lines_read, quarantined, status, message)
           VALUES ($path, $kind, $format, $sha, $bytes, $etag, 1, 1, 'partial', $msg) RETURNING source_id AS id`,
          { path: display, kind: detection.kind, format: detection.format, sha: probe.sha256, bytes: probe.bytes, etag: input.etag ?? null, msg: reason },
        );
        await conn.run('INSERT INTO quarantine (source_id, file, line, raw, reason) VALUES ($id, $file, NULL, NULL, $reason)', { id: row!.id, file: display, reason });
      }),
    );
    return { file: { path: display, kind: detection.kind, outcome: 'failed', records: 0, quarantined: 1, message: reason }, timeMin: null, timeMax: null };
  } finally {
    if (prepared.cleanup) await rm(prepared.path, { force: true });
  }
}

/** Runs fn on a connection that an abort interrupts mid-statement. */
async function withInterrupt<T>(db: Db, signal: AbortSignal, fn: (c: Conn) => Promise<T>): Promise<T> {
  return db.use(async (conn) => {
    const onAbort = () => conn.interrupt();
    signal.addEventListener('abort', onAbort);
    try {
      if (signal.aborted) throw new AppError('cancelled', 'The import was cancelled.');
      return await fn(conn);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  });
}

interface Prepared {
  path: string;
  cleanup: boolean;
  truncated: { atByte: number; fragment: string } | null;
}

/**
 * Gives DuckDB a name whose .gz suffix matches the content, and for a truncated gzip a plain copy
 * of everything before the damage, cut back to the last complete line.
 */
async function prepareLocal(path: string, probe: Probe, tmp: string): Promise<Prepared> {
  const named = path.endsWith('.gz');
  if (probe.gzip && probe.truncatedAt !== null) {
    const out = join(tmp, `${randomUUID()}.txt`);
    const gunzip = createGunzip();
    try {
      await pipeline(createReadStream(path), gunzip, createWriteStream(out));
    } catch {
      /* expected: the stream ends early; everything before the damage is on disk */
    }
    const size = (await stat(out)).size;
    const fh = await open(out, 'r');
    let cut = 0;
    let fragment = '';
    try {
      const tail = Buffer.alloc(Math.min(size, 1 << 20));
      await fh.read(tail, 0, tail.length, size - tail.length);
      const nl = tail.lastIndexOf(0x0a);
      cut = nl < 0 ? size - tail.length : size - tail.length + nl + 1;
      fragment = tail.subarray(nl < 0 ? 0 : nl + 1).toString('utf8');
    } finally {
      await fh.close();
    }
    await truncate(out, cut);
    return { path: out, cleanup: true, truncated: { atByte: probe.truncatedAt, fragment } };
  }
  if (probe.gzip === named) return { path, cleanup: false, truncated: null };
  const link = join(tmp, `${randomUUID()}${probe.gzip ? '.gz' : '.txt'}`);
  await symlink(resolve(path), link);
  return { path: link, cleanup: true, truncated: null };
}

/** The damaged tail of a truncated gzip is one quarantined line; the file is 'partial'. */
async function recordTruncation(ctx: LoadContext, result: LoadResult, t: { atByte: number; fragment: string }): Promise<LoadResult> {
  const reason = `the gzip file is truncated or damaged at byte ${t.atByte}; everything before it was imported${t.fragment ? ', this incomplete last line was not' : ''}`;
  await ctx.conn.run('INSERT INTO quarantine (source_id, file, line, raw, reason) VALUES ($id, $file, $line, $raw, $reason)', {
    id: ctx.sourceId,
    file: ctx.displayPath,
    line: result.linesRead + 1,
    raw: t.fragment.slice(0, RAW_LIMIT),
    reason,
  });
  return {
    ...result,
    linesRead: result.linesRead + 1,
    quarantined: result.quarantined + 1,
    status: 'partial',
    message: `truncated at byte ${t.atByte} of the compressed file`,
  };
}

/**
 * A file no handler recognises: text files go to quarantine line by line (so the user sees every
 * line and why), binary files as one item.
 */
async function loadUnknown(ctx: LoadContext, why: string): Promise<LoadResult> {
  const { conn } = ctx;
  const empty: LoadResult = { kind: 'unknown', linesRead: 0, records: 0, headerLines: 0, blankLines: 0, overlapRecords: 0, quarantined: 0, timeMin: null, timeMax: null, status: 'complete', message: why };
  if (why === 'the file is empty') return empty;
  const reason = `not imported: ${why}`;
  if (isBinary(ctx.sample)) {
    await conn.run('INSERT INTO quarantine (source_id, file, line, raw, reason) VALUES ($id, $file, NULL, NULL, $reason)', { id: ctx.sourceId, file: ctx.displayPath, reason });
    return { ...empty, linesRead: 1, quarantined: 1 };
  }
  const newline = /\r\n/.test(ctx.sample.head.slice(0, 4096)) ? '\r\n' : '\n';
  const staged = await stageLines(conn, ctx.localPath, newline);
  await conn.run(
    `INSERT INTO quarantine (source_id, file, line, raw, reason)
     SELECT $id, $file, line, left(t, ${RAW_LIMIT}), $reason FROM ${RAW_LINES} WHERE NOT (t IS NULL OR trim(t, ' ' || chr(9) || chr(13)) = '')`,
    { id: ctx.sourceId, file: ctx.displayPath, reason },
  );
  const c = await conn.one<{ q: number }>(`SELECT count(*) FILTER (NOT (t IS NULL OR trim(t, ' ' || chr(9) || chr(13)) = '')) AS q FROM ${RAW_TABLE}`);
  await conn.run(`DROP TABLE IF EXISTS ${RAW_TABLE}`);
  return { ...empty, linesRead: staged.lines, quarantined: c?.q ?? 0, blankLines: staged.lines - (c?.q ?? 0) };
}

function isBinary(sample: Sample): boolean {
  return sample.head.startsWith('PAR1') || sample.head.startsWith('PK\u0003\u0004') || /[\u0000-\u0008\u000e-\u001f]/.test(sample.head.slice(0, 4096));
}
