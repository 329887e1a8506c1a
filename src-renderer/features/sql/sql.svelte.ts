/**
 * SQL console: the editor text, running a read-only query, the result, copy as CSV/TSV and the
 * query library. Library entries only ever load into the editor: a saved query from someone
 * else's case is data and never runs by itself.
 */
import type { SavedQuery, SqlResult } from '../../../src-main/shared/domain.ts';
import { errorText, realApi, type ApiPort } from '../../lib/ui/api-port.ts';
import { toDelimited, type Separator } from '../../lib/ui/delimited.ts';

export const DEFAULT_LIMIT = 10_000;

const STARTER = `-- Read-only SQL on the case (DuckDB dialect). Ctrl/Cmd+Enter runs.
SELECT kind, count(*) AS sources, sum(records) AS records
FROM sources
GROUP BY kind
ORDER BY records DESC;`;

export class SqlState {
  text = $state(STARTER);
  limit = $state(DEFAULT_LIMIT);
  running = $state(false);
  result = $state.raw<SqlResult | null>(null);
  error = $state<string | null>(null);
  library = $state.raw<SavedQuery[]>([]);
  libraryError = $state<string | null>(null);
  loadedQueryId = $state<string | null>(null);
  copied = $state<string | null>(null);
  saveName = $state('');

  constructor(private api: ApiPort = realApi) {}

  async loadLibrary(): Promise<void> {
    try {
      this.library = await this.api.call('sql.library');
      this.libraryError = null;
    } catch (e) {
      this.libraryError = errorText(e);
    }
  }

  /** Put a library query in the editor. Deliberately does not run it. */
  pick(q: SavedQuery): void {
    this.text = q.sql;
    this.loadedQueryId = q.id;
    this.error = null;
  }

  async run(): Promise<void> {
    const sql = this.text.trim();
    if (!sql || this.running) return;
    this.running = true;
    this.error = null;
    try {
      this.result = await this.api.call('sql.run', { sql, limit: this.limit });
    } catch (e) {
      this.error = errorText(e);
    } finally {
      this.running = false;
    }
  }

  /** Interrupt the running query (the engine answers the run with a "cancelled" error). */
  async cancel(): Promise<void> {
    if (!this.running) return;
    try {
      await this.api.call('sql.cancel');
    } catch (e) {
      this.error = errorText(e);
    }
  }

  /** Save the editor text into the case's library under `name`. */
  async save(name: string): Promise<void> {
    const sql = this.text.trim();
    if (!name.trim() || !sql) return;
    try {
      const saved = await this.api.call('sql.saveQuery', { name: name.trim(), sql });
      this.library = [...this.library.filter((q) => q.id !== saved.id), saved];
      this.loadedQueryId = saved.id;
    } catch (e) {
      this.error = errorText(e);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.api.call('sql.removeQuery', { id });
      this.library = this.library.filter((q) => q.id !== id);
      if (this.loadedQueryId === id) this.loadedQueryId = null;
    } catch (e) {
      this.error = errorText(e);
    }
  }

  delimited(sep: Separator): string {
    const r = this.result;
    return r ? toDelimited(r.columns, r.rows, sep) : '';
  }

  async copy(sep: Separator, clipboard: Pick<Clipboard, 'writeText'> = navigator.clipboard): Promise<void> {
    if (!this.result) return;
    const label = sep === ',' ? 'CSV' : 'TSV';
    try {
      await clipboard.writeText(this.delimited(sep));
      this.copied = `Copied ${this.result.rows.length.toLocaleString('en-US')} rows as ${label}.`;
    } catch (e) {
      this.copied = null;
      this.error = `Could not copy to the clipboard (${errorText(e)}).`;
    }
  }
}
