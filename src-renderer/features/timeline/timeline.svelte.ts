/**
 * Timeline data: the detail result for the visible window (re-queried when the window or filter
 * changes, so the engine returns finer buckets as the analyst zooms) and a coarse result for the
 * whole case (the overview strip). Stale answers are dropped: only the latest request lands.
 */
import type { EpochMs, FlowFilter, TimelineQuery, TimelineResult } from '../../../src-main/shared/domain.ts';
import type { TimeWindow } from '../../lib/state/workbench.svelte.ts';
import { toIso } from '../../lib/state/time.ts';
import { bucketsForFetch, fetchRange, maxBucketsFor } from './range.ts';

export type TimelineQueryFn = (q: TimelineQuery) => Promise<TimelineResult>;

export class TimelineState {
  result = $state.raw<TimelineResult | null>(null);
  overview = $state.raw<TimelineResult | null>(null);
  /** The range `result` covers (window plus margin). */
  fetched = $state.raw<TimeWindow | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);

  /** One replay step: the detail bucket. */
  stepMs = $derived((this.result?.bucketSeconds ?? 60) * 1000);

  #seq = 0;
  #askedMs = Infinity;
  #overviewKey = '';

  constructor(private readonly query: TimelineQueryFn) {}

  /** Does the fetched detail already cover `visible` at a resolution fine enough for `widthPx`? */
  covers(visible: TimeWindow, widthPx: number): boolean {
    const f = this.fetched;
    const r = this.result;
    if (!f || !r) return false;
    if (visible.from < f.from || visible.to > f.to) return false;
    const wanted = (visible.to - visible.from) / maxBucketsFor(widthPx);
    const got = r.bucketSeconds * 1000;
    // the engine answered coarser than asked: that is the data's own granularity, finer is not possible
    const atFloor = got > this.#askedMs * 1.5;
    return atFloor || got <= Math.max(wanted * 2, 1000);
  }

  async load(visible: TimeWindow, full: TimeWindow | null, filter: FlowFilter, widthPx: number): Promise<void> {
    const seq = ++this.#seq;
    const range = fetchRange(visible, full);
    const q: TimelineQuery = { from: toIso(range.from), to: toIso(range.to), maxBuckets: bucketsForFetch(range, visible, widthPx), filter: stripTime(filter) };
    this.loading = true;
    try {
      const ovKey = JSON.stringify([full, q.filter, Math.round(widthPx / 100)]);
      const needOverview = full && ovKey !== this.#overviewKey;
      const [detail, overview] = await Promise.all([
        this.query(q),
        needOverview ? this.query({ from: toIso(full.from), to: toIso(full.to), maxBuckets: maxBucketsFor(widthPx, 4), filter: q.filter }) : Promise.resolve(null),
      ]);
      if (seq !== this.#seq) return;
      if (overview) {
        this.overview = overview;
        this.#overviewKey = ovKey;
      }
      this.result = detail;
      this.fetched = range;
      this.#askedMs = (range.to - range.from) / (q.maxBuckets ?? 300);
      this.error = null;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = e instanceof Error ? e.message : String(e);
    } finally {
      if (seq === this.#seq) this.loading = false;
    }
  }

  clear(): void {
    this.#seq++;
    this.result = null;
    this.overview = null;
    this.fetched = null;
    this.#overviewKey = '';
    this.loading = false;
    this.error = null;
  }

  /** Bucket start at or before t in the current detail result. */
  bucketStart(t: EpochMs): EpochMs {
    const step = this.stepMs;
    const origin = this.result?.from ?? 0;
    return origin + Math.floor((t - origin) / step) * step;
  }
}

function stripTime(f: FlowFilter): FlowFilter | undefined {
  const { from: _f, to: _t, ...rest } = f;
  return Object.keys(rest).length ? rest : undefined;
}
