/**
 * Who has a case file open. The session works on a private copy, so DuckDB's own file lock does not
 * cover the original; this lock file (`<file>.lock`, created with O_EXCL) does. It records pid and
 * host, so a lock left behind by a crashed process on this machine is recognised and taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { AppError } from '../../shared/result.ts';

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export const lockPathOf = (file: string): string => `${file}.lock`;

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(file: string): LockOwner | null {
  let text: string;
  try {
    text = readFileSync(lockPathOf(file), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    return { pid: Number(v.pid), host: String(v.host ?? ''), since: String(v.since ?? '') };
  } catch {
    // A half-written lock file (crash between create and write) carries no owner: treat as stale.
    return { pid: 0, host: hostname(), since: '' };
  }
}

/** The live owner of the lock, if any (a stale lock from a dead process on this host is not one). */
export function lockHolder(file: string): LockOwner | null {
  const owner = readLock(file);
  if (!owner) return null;
  if (owner.host === hostname() && !pidAlive(owner.pid)) return null;
  return owner;
}

export class FileLock {
  private released = false;
  private constructor(readonly file: string) {}

  /** Takes the lock or throws 'case-locked' naming who holds it. */
  static acquire(file: string): FileLock {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(lockPathOf(file), 'wx');
        try {
          writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
        } finally {
          closeSync(fd);
        }
        return new FileLock(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new AppError('io', `Could not create the lock file next to ${basename(file)}: ${(e as Error).message}`);
        }
      }
      const holder = lockHolder(file);
      if (holder) {
        const who =
          holder.pid === process.pid && holder.host === hostname()
            ? 'in this Tunnelscope window already'
            : `by another Tunnelscope process (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''})`;
        throw new AppError(
          'case-locked',
          `${basename(file)} is open ${who}. Close it there first, or open a copy of the file.`,
        );
      }
      rmSync(lockPathOf(file), { force: true }); // stale: its process is gone
    }
    throw new AppError('case-locked', `${basename(file)} is being opened by another process right now. Try again in a moment.`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    const owner = readLock(this.file);
    if (owner && owner.pid === process.pid) rmSync(lockPathOf(this.file), { force: true });
  }
}
