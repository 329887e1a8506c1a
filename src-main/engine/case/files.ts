/**
 * File mechanics of the case format: the private working directory, atomic replacement of the
 * original, and sweeping what a killed process left behind.
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  readFileSync,
} from 'node:fs';
import { type FileHandle } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../shared/result.ts';
import { pidAlive } from './lock.ts';

const WORK_PREFIX = 'tunnelscope-work-';

/** Where working copies live: $TUNNELSCOPE_WORK_DIR when set (e.g. a disk bigger than /tmp), else the OS temp dir. */
export function workRoot(): string {
  return process.env.TUNNELSCOPE_WORK_DIR || tmpdir();
}

/** A fresh private directory for one session, marked with our pid so a later sweep knows when it is orphaned. */
export function makeWorkDir(): string {
  sweepWorkDirs();
  const dir = mkdtempSync(join(workRoot(), WORK_PREFIX));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

/** Removes working directories of processes that no longer exist (a crash or kill -9 leaves them). */
export function sweepWorkDirs(): void {
  let names: string[];
  try {
    names = readdirSync(workRoot());
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.startsWith(WORK_PREFIX)) continue;
    const dir = join(workRoot(), n);
    try {
      const pid = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (!pidAlive(pid)) rmSync(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or being created right now */
    }
  }
}

const tmpPattern = (target: string) => new RegExp(`^${escapeRe(basename(target))}\\.tmp-(\\d+)$`);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Deletes `<file>.tmp-<pid>` left by a save that was killed before its rename. */
export function sweepStaleTemps(target: string): string[] {
  const re = tmpPattern(target);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(target));
  } catch {
    return removed;
  }
  for (const n of names) {
    const m = re.exec(n);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && pidAlive(pid)) continue; // another process is saving right now
    rmSync(join(dirname(target), n), { force: true });
    removed.push(n);
  }
  return removed;
}

/** True when the file starts like a DuckDB database (magic 'DUCK' at byte 8). */
export function looksLikeDuckDb(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(12);
    const n = readSync(fd, buf, 0, 12, 0);
    return n === 12 && buf.subarray(8, 12).toString('latin1') === 'DUCK';
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function fsyncPath(p: string, flags: string): void {
  const fd = openSync(p, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies `src` over `target` so that `target` is at every moment either the old file or the
 * complete new one: write `<target>.tmp-<pid>`, fsync, rename, fsync the directory. On failure
 * the temp is removed and the original is untouched.
 */
export function atomicReplace(src: string, target: string): void {
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    // The file may grow while it is copied (DuckDB writes large inserts ahead of their commit, into
    // blocks the checkpointed header does not reference); it never shrinks below the checkpoint.
    const size = statSync(src).size;
    // FICLONE makes a reflink copy where the filesystem can (instant), and falls back to a copy.
    copyFileSync(src, tmp, constants.COPYFILE_FICLONE);
    fsyncPath(tmp, 'r+');
    if (statSync(tmp).size < size || !looksLikeDuckDb(tmp)) {
      throw new Error('the copy is incomplete');
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AppError('io', `Could not save ${basename(target)}: ${(e as Error).message}. The previous version of the file is unchanged.`);
  }
  try {
    fsyncPath(dirname(target), 'r');
  } catch {
    /* some filesystems refuse fsync on a directory; the rename is already done */
  }
}

/** Copies a case file and its WAL (if a crashed writer left one) into the working directory. */
export function copyIn(original: string, work: string): void {
  copyFileSync(original, work, constants.COPYFILE_FICLONE);
  if (existsSync(`${original}.wal`)) copyFileSync(`${original}.wal`, `${work}.wal`);
}

const CHUNK = 8 * 1024 ** 2;

/**
 * Copies an already open file to `dest` in the background (a case's working copy while the case is
 * read in place). Reading from the handle, not the path, copies the file that was opened even if a
 * save elsewhere renames a new one over it meanwhile. `stop()` is checked between chunks: a case
 * closed while its copy runs does not wait for the rest of the file.
 */
export async function copyFromHandle(src: FileHandle, dest: string, stop: () => boolean): Promise<'done' | 'stopped'> {
  const out = await fsp.open(dest, 'w');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ; ) {
      if (stop()) return 'stopped';
      const { bytesRead } = await src.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      let written = 0;
      while (written < bytesRead) written += (await out.write(buf, written, bytesRead - written, pos + written)).bytesWritten;
      pos += bytesRead;
    }
    return 'done';
  } finally {
    await out.close();
  }
}
