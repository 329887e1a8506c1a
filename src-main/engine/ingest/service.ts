/**
 * The ingest service: walks folders, hashes each file, skips files the case already holds, picks
 * a format handler from content and loads the file inside ONE transaction together with its
 * sources row, so a cancel or a failure leaves the case exactly as it was before that file.
 *
 * Flow-log text files of one layout (S3 delivery, CloudWatch export tasks) go in batches
 * (batch.ts): several files in ONE transaction. The rule there: a file is complete when its batch
 * commits. A cancel leaves the case as it was before the batch (its files are reported cancelled;
 * every earlier batch or file stays); a failure rolls the batch back and imports its files again
 * one by one, each in its own transaction as above.
 *
 * describe-flow-logs files are read first, whatever the order given, so that headerless
 * CloudWatch flow records of the same import get their flow log's LogFormat (flow-logs.ts).
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
import { typedReadLayout } from './batch-fast.ts';
import { batchKey, dropBatch, stageBatch, writeBatch, type BatchFile, type BatchPlan } from './batch.ts';
import { explainUnknown, pickHandler, probeFile, readSample, type Pick, type Probe } from './detect.ts';
import { DEFAULT_VPC_LAYOUT, kindOfLayout, parseUserFormat } from './fields.ts';
import { cloudWatchLayout, flowLogsInCase, isDescribeFlowLogs, readFlowLogsFile, type FlowLogDef } from './flow-logs.ts';
import { flowTextHandler, streamFromPath } from './formats/flow-text.ts';
import { dropStaged, stageLines } from './lines.ts';
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

/** Files read at the same time: one is parsed while the previous one is written (TSCOPE_INGEST_WORKERS overrides, for benchmarks). */
const WORKERS = Number(process.env.TSCOPE_INGEST_WORKERS ?? 2);
/**
 * A batch of flow-log text files closes at this much text or this many files: large enough that
 * its rows skip the write-ahead log (≥ 122,880 rows) and that few writes end in a part-filled row
 * group, small enough that two batches in flight (one parsed while the other is written) stay
 * under 1.5 GB. Measured on bench:ingest's 530 MB (2 M records): 96 MB batches 12.0–12.4 s, peak
 * RSS 0.84–0.94 GB; 192 MB 10.7–11.2 s, 1.10–1.17 GB; 256 MB 11.9 s, 1.29 GB.
 */
const BATCH_BYTES = Number(process.env.TSCOPE_INGEST_BATCH_BYTES ?? 192 * 1024 * 1024);
const BATCH_FILES = 500;
/** Files probed at once while planning (see planQueue). */
const PLAN_CONCURRENCY = 2;
/** A file this large has enough rows to skip the write-ahead log alone: it is its own batch. */
const SOLO_BYTES = 16 * 1024 * 1024;

interface Planned {
  i: number;
  input: IngestInput;
  display: string;
  probe: Probe;
  /** Same content as a file already in the case. */
  early?: { path: string; kind: SourceKind };
  sample?: Sample;
  picked?: Pick | null;
  prepared?: Prepared;
  /** The import's options, with the flow log's LogFormat as format for headerless CloudWatch records. */
  options?: IngestOptions;
  batch?: { key: string; plan: BatchPlan; file: BatchFile } | null;
}

interface Unit {
  u: number;
  files: Planned[];
  batch: boolean;
}

/** How a file joins a batch: flow-log text (S3 with its header, headerless, CloudWatch export task). */
function batchOf(p: Planned, userLayout: string[] | null): Planned['batch'] {
  const det = p.picked?.detection;
  if (!det || p.picked!.handler !== flowTextHandler || !p.prepared || p.prepared.truncated) return null;
  const newline = /\r\n/.test(p.sample!.head.slice(0, 4096)) ? '\r\n' : '\n';
  let plan: BatchPlan;
  if (det.format === 's3-text' && Array.isArray(det.hints?.fields)) {
    const names = det.hints.fields as string[];
    plan = { kind: kindOfLayout(names), names, tsPrefix: false, newline, header: true, typed: false };
  } else if (det.format === 'cwl-export' || det.format === 'text') {
    const names = userLayout ?? DEFAULT_VPC_LAYOUT;
    plan = { kind: kindOfLayout(names), names, tsPrefix: det.format === 'cwl-export', newline, header: false, typed: false };
  } else {
    return null;
  }
  // A batch of plain text files (plain-text.ts) of known fields takes the typed read_csv
  // (batch-fast.ts). TSCOPE_INGEST_TYPED=0 turns it off (to compare with the line-level path).
  plan.typed = process.env.TSCOPE_INGEST_TYPED !== '0' && newline === '\n' && !plan.tsPrefix && typedReadLayout(plan.kind, plan.names);
  return {
    key: batchKey(plan),
    plan,
    file: {
      path: p.prepared.path,
      display: p.display,
      sha256: p.probe.sha256,
      bytes: p.probe.bytes,
      etag: p.input.etag ?? null,
      format: det.format,
      stream: plan.tsPrefix ? streamFromPath(p.display) : null,
      // The reader skips line 1 as the header: it must be the line the header was detected from.
      plain: p.probe.plainText && (!plan.header || p.sample!.head.split('\n', 1)[0] === p.sample!.firstLine),
      lines: p.probe.lines,
    },
  };
}

/**
 * One batch: parse outside the transaction, then (in turn) write every file in one transaction.
 * Returns null when the files must go one by one (see batch.ts); a cancel reports every file of
 * the batch as cancelled, since the whole batch is rolled back.
 */
async function ingestBatch(db: Db, files: Planned[], signal: AbortSignal, myTurn: () => Promise<void>, writing: () => void): Promise<OneResult[] | null> {
  const plan = files[0]!.batch!.plan;
  const list = files.map((p) => p.batch!.file);
  const cancelled = (): OneResult[] =>
    files.map((p) => ({
      file: { path: p.display, kind: plan.kind, outcome: 'cancelled', records: 0, quarantined: 0, message: 'cancelled; the case is as it was before this file and the files read together with it' },
      timeMin: null,
      timeMax: null,
    }));
  try {
    return await withInterrupt(db, signal, async (conn) => {
      let staged = null;
      try {
        staged = await stageBatch(conn, plan, list);
      } catch {
        staged = null;
      }
      await myTurn();
      if (signal.aborted) throw new AppError('cancelled', 'The import was cancelled.');
      if (!staged) return null;
      writing();
      const t0 = performance.now();
      const out = await conn.transaction(() => writeBatch(conn, plan, list, staged, signal));
      if (process.env.TSCOPE_INGEST_TRACE) process.stderr.write(`[batch] ${((performance.now() - t0) / 1000).toFixed(2)}s write+commit (ended at ${(performance.now() / 1000).toFixed(2)})\n`);
      await dropBatch(conn);
      return out.map((r, k): OneResult => {
        const p = files[k]!;
        if (r.duplicateOf) return duplicate(p.display, r.duplicateOf as { path: string; kind: SourceKind });
        const res = r.result!;
        return {
          file: {
            path: p.display,
            kind: plan.kind,
            outcome: 'imported',
            records: res.records,
            quarantined: res.quarantined,
            message: res.overlapRecords ? `${res.overlapRecords} records already in the case from another source` : undefined,
          },
          timeMin: res.timeMin,
          timeMax: res.timeMax,
        };
      });
    });
  } catch (e) {
    if (signal.aborted || toErrorValue(e).code === 'cancelled') return cancelled();
    return null;
  }
}

export async function ingestInputs(db: Db, given: IngestInput[], options: IngestOptions = {}, control: IngestControl = {}): Promise<IngestSummary> {
  if (options.format) parseUserFormat(options.format);
  // describe-flow-logs output goes first, whatever the order given: its LogFormats are the layouts
  // of headerless CloudWatch flow records in the same import.
  const isFlowLogs = await Promise.all(given.map((i) => isDescribeFlowLogs(i.localPath).catch(() => false)));
  const inputs = [...given.filter((_, k) => isFlowLogs[k]), ...given.filter((_, k) => !isFlowLogs[k])];
  const flowLogs: FlowLogDef[] = await flowLogsInCase(db).catch(() => []);
  for (const [k, i] of given.entries()) if (isFlowLogs[k]) flowLogs.push(...(await readFlowLogsFile(i.localPath).catch(() => [])));
  const jobId = control.jobId ?? randomUUID();
  const signal = control.signal ?? new AbortController().signal;
  const sizes = await Promise.all(inputs.map(async (i) => (await stat(i.localPath)).size));
  const bytesTotal = sizes.reduce((a, b) => a + b, 0);
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

  // Units (one file, or a batch of small flow-log files of one layout) write in input order:
  // unit u starts its transaction after unit u-1 committed, so its duplicate and overlap checks
  // see every earlier file, and source ids follow the input order.
  const turns = new Map<number, Promise<void>>();
  const release = new Map<number, () => void>();
  const turn = (u: number): Promise<void> => {
    if (u === 0) return Promise.resolve();
    let p = turns.get(u);
    if (!p) {
      p = new Promise<void>((r) => release.set(u, r));
      turns.set(u, p);
    }
    return p;
  };
  const pass = (u: number) => {
    turn(u + 1);
    release.get(u + 1)!();
  };

  const results: (OneResult | undefined)[] = new Array(inputs.length);
  const tmp = await mkdtemp(join(tmpdir(), 'tscope-ingest-'));
  const restoreSettings = await ingestSettings(db);

  // Planning (hash, sample, detection) runs ahead of the writes, two files at a time: inflating is
  // done on libuv's threads and hashing on this one, so two probes keep both cores busy before the
  // first batch can be read (~0.3 s on one core for the first 64 MB of text).
  let planCursor = 0;
  const planQueue: Promise<Planned>[] = [];
  let lookahead: Planned | null = null;
  let units = 0;
  const planFile = async (i: number): Promise<Planned> => {
    const input = inputs[i]!;
    const display = input.displayPath ?? input.localPath;
    emit(i, display, 0, 'scanning');
    const probe = await probeFile(input.localPath);
    const early = await duplicateOf(db, probe.sha256);
    if (early) return { i, input, display, probe, early };
    const sample = await readSample(input.localPath, display, probe.gzip);
    const picked = pickHandler(sample);
    const prepared = await prepareLocal(input.localPath, probe, tmp);
    const layout = !options.format && picked ? cloudWatchLayout(flowLogs, picked.detection, sample) : null;
    const planned: Planned = { i, input, display, probe, sample, picked, prepared, options: layout ? { ...options, format: layout } : options };
    planned.batch = batchOf(planned, planned.options!.format ? parseUserFormat(planned.options!.format) : null);
    return planned;
  };
  const makeUnit = async (): Promise<Unit | null> => {
    const files: Planned[] = [];
    const shas = new Set<string>();
    let bytes = 0;
    // The first batch is smaller: nothing is written until it is read, so the other worker's read
    // and this write start sooner (a third still holds ≥ 122,880 rows of typical flow logs).
    const limit = units === 0 ? BATCH_BYTES / 3 : BATCH_BYTES;
    for (;;) {
      if (signal.aborted) break;
      let p = lookahead;
      lookahead = null;
      if (!p) {
        while (planQueue.length < PLAN_CONCURRENCY && planCursor < inputs.length) {
          const next = planFile(planCursor++);
          next.catch(() => undefined);
          planQueue.push(next);
        }
        const next = planQueue.shift();
        if (!next) break;
        p = await next;
      }
      if (!p.batch) {
        if (files.length) {
          lookahead = p;
          break;
        }
        return { u: units++, files: [p], batch: false };
      }
      const solo = p.probe.plainBytes >= SOLO_BYTES;
      const full =
        files.length > 0 &&
        (solo || p.batch.key !== files[0]!.batch!.key || shas.has(p.probe.sha256) || bytes + p.probe.plainBytes > limit || files.length >= BATCH_FILES);
      if (full) {
        lookahead = p;
        break;
      }
      files.push(p);
      if (solo) break;
      shas.add(p.probe.sha256);
      bytes += p.probe.plainBytes;
    }
    return files.length ? { u: units++, files, batch: true } : null;
  };
  let planning: Promise<unknown> = Promise.resolve();
  const planUnit = (): Promise<Unit | null> => {
    const p = planning.then(makeUnit);
    planning = p.catch(() => undefined);
    return p;
  };
  // One unit is always planned ahead, so hashing the next files overlaps the current writes.
  let ahead: Promise<Unit | null> | null = null;
  const nextUnit = (): Promise<Unit | null> => {
    const p = ahead ?? planUnit();
    ahead = planUnit();
    ahead.catch(() => undefined);
    return p;
  };

  const finish = (p: Planned, res: OneResult) => {
    results[p.i] = res;
    bytesDone += sizes[p.i]!;
    if (res.file.outcome !== 'cancelled') {
      records += res.file.records;
      quarantined += res.file.quarantined;
    }
    emit(p.i, p.display, 0, 'writing');
  };
  const one = (p: Planned, myTurn: () => Promise<void>) =>
    ingestOne(db, p, p.options ?? options, signal, myTurn, (phase) => emit(p.i, p.display, phase === 'writing' ? Math.floor(sizes[p.i]! / 2) : 0, phase));

  const worker = async () => {
    for (;;) {
      const unit = await nextUnit();
      if (!unit) return;
      try {
        // Units planned ahead but not started before a cancel are left out, as files never read.
        if (signal.aborted) continue;
        if (!unit.batch) {
          finish(unit.files[0]!, await one(unit.files[0]!, () => turn(unit.u)));
        } else {
          const first = unit.files[0]!;
          emit(first.i, first.display, 0, 'reading');
          const out = await ingestBatch(db, unit.files, signal, () => turn(unit.u), () => emit(first.i, first.display, 0, 'writing'));
          if (out) unit.files.forEach((p, k) => finish(p, out[k]!));
          else {
            // The batch could not go as one: the same files one by one (the turn is already ours).
            await turn(unit.u);
            for (const p of unit.files) finish(p, await one(p, () => Promise.resolve()));
          }
        }
      } finally {
        await turn(unit.u);
        pass(unit.u);
        for (const p of unit.files) if (p.prepared?.cleanup) await rm(p.prepared.path, { force: true });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(WORKERS, inputs.length) }, worker));
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await restoreSettings();
  }

  const summary: IngestSummary = { jobId, cancelled: signal.aborted, files: [], byKind: {}, records: 0, quarantined: 0, duplicates: 0, timeMin: null, timeMax: null };
  for (const res of results) {
    if (!res) continue;
    summary.files.push(res.file);
    if (res.file.outcome === 'cancelled') {
      summary.cancelled = true;
      continue;
    }
    summary.records += res.file.records;
    summary.quarantined += res.file.quarantined;
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
  }
  for (const k of Object.values(summary.byKind)) {
    summary.timeMin = minIso(summary.timeMin, k.timeMin);
    summary.timeMax = maxIso(summary.timeMax, k.timeMax);
  }
  if (control.onProgress) {
    control.onProgress({ jobId, file: '', fileIndex: inputs.length, fileCount: inputs.length, bytesDone, bytesTotal, records: summary.records, quarantined: summary.quarantined, etaSeconds: 0, phase: 'done' });
  }
  return summary;
}

/**
 * DuckDB settings for the length of an ingest (instance-wide, so put back afterwards):
 * - checkpoint_threshold: each file commits on its own; with DuckDB's default 16 MB WAL threshold
 *   that means a full checkpoint every few files (measured: half the write time on 50k-record
 *   files). Checkpoint every 256 MB of WAL instead (1 GB held 2 M records in memory: 1.35 GB peak
 *   RSS), once more at the end.
 * - disabled_compression_methods: every segment written is analysed with each method its type
 *   allows. FSST (and DICT_FSST, ZSTD) for text, Roaring for NULL masks were never chosen for
 *   flow-log columns (short ids and addresses: dictionary wins; masks are constant); not trying
 *   them cut the CPU of writing 700 k VPC records from ~2.7 s to ~2.3 s (FSST alone: ~2.4).
 *   Data written meanwhile uses the other methods; every method still reads.
 */
async function ingestSettings(db: Db): Promise<() => Promise<void>> {
  const wanted: Record<string, (old: string) => string> = {
    checkpoint_threshold: () => '256MB',
    disabled_compression_methods: (old) => [...new Set([...old.split(',').map((x) => x.trim()).filter(Boolean), 'fsst', 'dict_fsst', 'zstd', 'roaring'])].join(','),
  };
  const previous = new Map<string, string>();
  try {
    const rows = await db.all<{ name: string; value: string | null }>(
      `SELECT name, value FROM duckdb_settings() WHERE name IN (${Object.keys(wanted).map((n) => `'${n}'`).join(', ')})`,
    );
    for (const r of rows) {
      previous.set(r.name, r.value ?? '');
      await db.run(`SET ${r.name} = '${wanted[r.name]!(r.value ?? '').replace(/'/g, '')}'`);
    }
  } catch {
    /* settings this DuckDB does not know: ingest with its defaults */
  }
  return async () => {
    try {
      for (const [name, value] of previous) await db.run(value ? `SET ${name} = '${value.replace(/'/g, '')}'` : `RESET ${name}`);
      await db.run('CHECKPOINT');
    } catch {
      /* a checkpoint also happens on close */
    }
  };
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

const duplicateOf = (db: Db | Conn, sha: string) =>
  db.one<{ source_id: number; path: string; kind: SourceKind }>('SELECT source_id, path, kind FROM sources WHERE sha256 = $h LIMIT 1', { h: sha });

function duplicate(display: string, dup: { path: string; kind: SourceKind }): OneResult {
  return {
    file: { path: display, kind: dup.kind, outcome: 'duplicate', records: 0, quarantined: 0, message: `same content as ${dup.path}, already in the case` },
    timeMin: null,
    timeMax: null,
  };
}

async function ingestOne(
  db: Db,
  planned: Planned,
  options: IngestOptions,
  signal: AbortSignal,
  myTurn: () => Promise<void>,
  phase: (p: IngestProgress['phase']) => void,
): Promise<OneResult> {
  const { input, display, probe } = planned;
  const cancelled = (kind: SourceKind): OneResult => ({
    file: { path: display, kind, outcome: 'cancelled', records: 0, quarantined: 0, message: 'cancelled; the case is as it was before this file' },
    timeMin: null,
    timeMax: null,
  });
  if (planned.early) return duplicate(display, planned.early);
  const sample = planned.sample!;
  const picked = planned.picked ?? null;
  const detection: Detection = picked?.detection ?? { kind: 'unknown', format: 'unknown', confidence: 0 };
  const prepared = planned.prepared!;
  phase('reading');

  try {
    return await withInterrupt(db, signal, async (conn) => {
      const ctx: LoadContext = {
        conn,
        sourceId: 0,
        localPath: prepared.path,
        displayPath: display,
        detection,
        sample,
        options,
        signal,
        progress: () => phase('writing'),
      };
      let stageError: unknown = null;
      try {
        if (picked?.handler.stage) ctx.staged = await picked.handler.stage(ctx);
      } catch (e) {
        stageError = e;
      }
      await myTurn();
      if (signal.aborted) throw new AppError('cancelled', 'The import was cancelled.');
      if (stageError) throw stageError;
      const dup = await duplicateOf(conn, probe.sha256);
      if (dup) return duplicate(display, dup);
      phase('writing');
      const result = await conn.transaction(async () => {
        const row = await conn.one<{ id: number }>(
          `INSERT INTO sources (path, kind, format, sha256, bytes, etag, status) VALUES ($path, $kind, $format, $sha, $bytes, $etag, 'complete') RETURNING source_id AS id`,
          { path: display, kind: detection.kind, format: detection.format, sha: probe.sha256, bytes: probe.bytes, etag: input.etag ?? null },
        );
        ctx.sourceId = row!.id;
        let r = picked ? await picked.handler.load(ctx) : await loadUnknown(ctx, explainUnknown(sample, probe.bytes));
        if (prepared.truncated) r = await recordTruncation(ctx, r, prepared.truncated);
        await conn.run(
          `UPDATE sources SET kind = $kind, format = $format, fields = $fields, lines_read = $lines, records = $records, header_lines = $headers,
             blank_lines = $blanks, overlap_records = $overlap, quarantined = $quarantined, time_min = $tmin::TIMESTAMPTZ, time_max = $tmax::TIMESTAMPTZ,
             status = $status, message = $message
           WHERE source_id = $id`,
          {
            id: ctx.sourceId,
            kind: r.kind ?? detection.kind,
            format: r.format ?? detection.format,
            fields: r.fields ?? null,
            lines: r.linesRead,
            records: r.records,
            headers: r.headerLines,
            blanks: r.blankLines,
            overlap: r.overlapRecords,
            quarantined: r.quarantined,
            tmin: r.timeMin,
            tmax: r.timeMax,
            status: r.status ?? 'complete',
            message: r.message ?? null,
          },
        );
        return r;
      });
      return {
        file: {
          path: display,
          kind: (result.kind ?? detection.kind) as SourceKind,
          outcome: 'imported',
          records: result.records,
          quarantined: result.quarantined,
          message: result.message ?? (result.overlapRecords ? `${result.overlapRecords} records already in the case from another source` : undefined),
        },
        timeMin: result.timeMin,
        timeMax: result.timeMax,
      } satisfies OneResult;
    });
  } catch (e) {
    const err = toErrorValue(e);
    if (signal.aborted || err.code === 'cancelled') return cancelled(detection.kind);
    if (e instanceof AppError && e.code === 'bad-argument') throw e;
    await myTurn();
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
     SELECT $id, $file, line, left(t, ${RAW_LIMIT}), $reason FROM ${staged.src} WHERE NOT (t IS NULL OR trim(t, ' ' || chr(9) || chr(13)) = '')`,
    { id: ctx.sourceId, file: ctx.displayPath, reason },
  );
  const c = await conn.one<{ q: number }>(`SELECT count(*) FILTER (NOT (t IS NULL OR trim(t, ' ' || chr(9) || chr(13)) = '')) AS q FROM ${staged.src}`);
  await dropStaged(conn);
  return { ...empty, linesRead: staged.lines, quarantined: c?.q ?? 0, blankLines: staged.lines - (c?.q ?? 0) };
}

function isBinary(sample: Sample): boolean {
  return sample.head.startsWith('PAR1') || sample.head.startsWith('PK\u0003\u0004') || /[\u0000-\u0008\u000e-\u001f]/.test(sample.head.slice(0, 4096));
}
