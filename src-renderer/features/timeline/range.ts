/**
 * Time and bucket arithmetic for the timeline (pure, unit-tested): how many buckets to ask for,
 * how far around the visible window to fetch, where a brush lands, and band look-ups.
 */
import type { Band, EpochMs } from '../../../src-main/shared/domain.ts';
import type { TimeWindow } from '../../lib/state/workbench.svelte.ts';

/** About one bucket per 3 CSS pixels of lane width: fine enough to see a 1-minute spike, cheap to draw. */
export function maxBucketsFor(widthPx: number, pxPerBucket = 3): number {
  if (!Number.isFinite(widthPx) || widthPx <= 0) return 300;
  return Math.max(10, Math.min(5000, Math.round(widthPx / pxPerBucket)));
}

/**
 * The range to fetch for a visible window: the window plus `margin` of its width on each side
 * (so a small pan shows data at once), clamped to the case.
 */
export function fetchRange(visible: TimeWindow, full: TimeWindow | null, margin = 0.5): TimeWindow {
  const span = visible.to - visible.from;
  let from = visible.from - span * margin;
  let to = visible.to + span * margin;
  if (full) {
    from = Math.max(full.from, from);
    to = Math.min(full.to, to);
  }
  return { from: Math.floor(from), to: Math.ceil(to) };
}

/** Buckets to request for a fetch range so the visible part gets `maxBucketsFor(width)` buckets. */
export function bucketsForFetch(fetch: TimeWindow, visible: TimeWindow, widthPx: number): number {
  const visibleSpan = Math.max(1, visible.to - visible.from);
  const ratio = (fetch.to - fetch.from) / visibleSpan;
  return Math.max(10, Math.min(5000, Math.round(maxBucketsFor(widthPx) * ratio)));
}

/** A brush from x0 to x1 (either order). Returns null for a click-sized brush (use it as a seek). */
export function brushToWindow(x0: EpochMs, x1: EpochMs, minMs = 5_000): TimeWindow | null {
  const from = Math.min(x0, x1);
  const to = Math.max(x0, x1);
  if (!Number.isFinite(from) || !Number.isFinite(to) || to - from < minMs) return null;
  return { from: Math.round(from), to: Math.round(to) };
}

/** Zoom the window around `center` by `factor` (< 1 zooms in). */
export function zoomWindow(w: TimeWindow, factor: number, center = (w.from + w.to) / 2): TimeWindow {
  const left = (center - w.from) * factor;
  const right = (w.to - center) * factor;
  return { from: Math.round(center - left), to: Math.round(center + right) };
}

/** Floor `t` to the bucket grid that starts at `origin`. */
export function snapToBucket(t: EpochMs, bucketMs: number, origin: EpochMs = 0): EpochMs {
  if (!(bucketMs > 0)) return t;
  return origin + Math.floor((t - origin) / bucketMs) * bucketMs;
}

/** The band containing t (bands sorted by t0, non-overlapping), by binary search. */
export function bandAt(bands: readonly Band[], t: EpochMs): Band | null {
  let lo = 0;
  let hi = bands.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = bands[mid]!;
    if (t < b.t0) hi = mid - 1;
    else if (t >= b.t1) lo = mid + 1;
    else return b;
  }
  return null;
}

/**
 * Bands as line points drawn as flat steps: each band becomes [t0, v], [t1, v]; a gap between
 * bands becomes a null so the line breaks instead of interpolating across missing data.
 * `scale` turns values into what is plotted (e.g. -1 to mirror below the axis, or 1/seconds for a rate).
 */
export function bandsToSteps(bands: readonly Band[], scale: (b: Band) => number = (b) => b.v): [number, number | null][] {
  const out: [number, number | null][] = [];
  let prevEnd: number | null = null;
  for (const b of bands) {
    if (prevEnd !== null && b.t0 > prevEnd) out.push([prevEnd, null]);
    const v = scale(b);
    out.push([b.t0, v], [b.t1, v]);
    prevEnd = b.t1;
  }
  return out;
}

/** Bytes per second over a band. */
export function bandRate(b: Band): number {
  const s = (b.t1 - b.t0) / 1000;
  return s > 0 ? b.v / s : b.v;
}

/** Largest |value| among bands after `scale`, for symmetric mirrored axes. */
export function maxAbs(bands: readonly Band[], scale: (b: Band) => number = (b) => b.v): number {
  let m = 0;
  for (const b of bands) m = Math.max(m, Math.abs(scale(b)));
  return m;
}
