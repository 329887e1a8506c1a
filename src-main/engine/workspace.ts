/**
 * The engine as a front door sees it: the investigation that is open, and the jobs running on it.
 * Shared by Electron main, `tunnelscope serve` and handler tests; never imports electron.
 * (The shell work extends this: open/new/save/close, ingest jobs, events.)
 */
import { AppError } from '../shared/result.ts';
import type { Db } from './db/index.ts';

export class Workspace {
  protected current: Db | null = null;

  /** The open case, or a clear error when none is open. */
  requireDb(): Db {
    if (!this.current || this.current.isClosed) {
      throw new AppError('no-case', 'No investigation is open. Open a .tscope file or import logs first.');
    }
    return this.current;
  }

  get db(): Db | null {
    return this.current;
  }
}
