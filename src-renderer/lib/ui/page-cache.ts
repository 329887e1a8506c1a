/**
 * A small cache of fixed-size pages fetched by offset/limit, for tables too big to hold. Least
 * recently used pages are evicted past `maxPages`; a page being fetched is fetched once; `reset()`
 * starts a new generation so answers to an outdated query are dropped instead of shown.
 */
import { pagesFor } from './virtual.ts';

export interface Page<T> {
  total: number;
  rows: T[];
}

export type PageFetcher<T> = (offset: number, limit: number) => Promise<Page<T>>;

export class PageCache<T> {
  private pages = new Map<number, T[]>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  total: number | null = null;
  error: Error | null = null;

  constructor(
    private fetcher: PageFetcher<T>,
    readonly pageSize = 200,
    readonly maxPages = 24,
    /** Called whenever pages or the total change, so a reactive owner can bump a version counter. */
    private onChange: () => void = () => {},
  ) {}

  /** Forget everything; answers still in flight for the old query are ignored. */
  reset(fetcher?: PageFetcher<T>): void {
    if (fetcher) this.fetcher = fetcher;
    this.generation++;
    this.pages.clear();
    this.pending.clear();
    this.total = null;
    this.error = null;
    this.onChange();
  }

  get(index: number): T | undefined {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  has(index: number): boolean {
    return this.pages.has(Math.floor(index / this.pageSize));
  }

  get cachedPages(): number[] {
    return [...this.pages.keys()];
  }

  /** Make sure rows [start, end) are loaded (or loading). Resolves when they are. */
  async ensure(start: number, end: number): Promise<void> {
    const want = pagesFor(start, this.total === null ? end : Math.min(end, Math.max(this.total, 1)), this.pageSize);
    if (this.total === null && want.length === 0) want.push(0);
    for (const p of want) this.touch(p);
    await Promise.all(want.map((p) => this.load(p)));
    this.evict(new Set(want));
  }

  private touch(p: number): void {
    const rows = this.pages.get(p);
    if (rows) {
      this.pages.delete(p);
      this.pages.set(p, rows);
    }
  }

  private load(p: number): Promise<void> {
    if (this.pages.has(p)) return Promise.resolve();
    const inFlight = this.pending.get(p);
    if (inFlight) return inFlight;
    const gen = this.generation;
    const job = this.fetcher(p * this.pageSize, this.pageSize)
      .then((page) => {
        if (gen !== this.generation) return;
        this.pages.set(p, page.rows);
        this.total = page.total;
        this.error = null;
      })
      .catch((e: unknown) => {
        if (gen !== this.generation) return;
        this.error = e instanceof Error ? e : new Error(String(e));
      })
      .finally(() => {
        if (gen !== this.generation) return;
        this.pending.delete(p);
        this.onChange();
      });
    this.pending.set(p, job);
    return job;
  }

  private evict(keep: Set<number>): void {
    for (const p of this.pages.keys()) {
      if (this.pages.size <= this.maxPages) break;
      if (!keep.has(p)) this.pages.delete(p);
    }
  }
}
