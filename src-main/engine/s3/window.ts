/**
 * Which parts of a flow-log bucket can hold records of a time window.
 *
 * AWS writes flow logs under date partitions (plain `yyyy/mm/dd[/HH]/` or Hive-style
 * `year=yyyy/month=mm/day=dd[/hour=HH]/`) and names each file with the start of the 5-minute bucket
 * of the records' END times (`…_20240101T1205Z_….log.gz`). A record can start up to one aggregation
 * interval (600 s) plus the 60 s reporting lag before its end, so a file stamped T holds records
 * with end in [T, T+5 min) and start as early as T − 11 min.
 */

export interface TimeWindow {
  since: number; // epoch ms
  until: number; // epoch ms
}

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Margin around the window for partitions (clock skew between partition time and record time). */
export const PARTITION_MARGIN_MS = HOUR;
/** A file stamped T can hold records that end up to 5 min after T and start up to 11 min before it. */
const FILE_SPAN_AFTER_MS = 5 * MIN;
const FILE_REACH_BEFORE_MS = 11 * MIN;

export type DatePart = 'year' | 'month' | 'day' | 'hour';

/** Recognises a path segment as a date partition: `2024`, `year=2024`, `07`, `month=07`, … */
export function datePartOf(segment: string, expect: DatePart): number | null {
  const hive = /^(year|month|day|hour)=(\d{1,4})$/.exec(segment);
  if (hive) return hive[1] === expect ? Number(hive[2]) : null;
  const width = expect === 'year' ? 4 : 2;
  if (new RegExp(`^\\d{${width}}$`).test(segment)) {
    const n = Number(segment);
    const ok = expect === 'year' ? n >= 2000 && n <= 2200 : expect === 'month' ? n >= 1 && n <= 12 : expect === 'day' ? n >= 1 && n <= 31 : n <= 23;
    return ok ? n : null;
  }
  return null;
}

/** The span [start, end) a partition path covers, given the date parts seen so far. */
export function partitionSpan(parts: Partial<Record<DatePart, number>>): { start: number; end: number } {
  const y = parts.year!;
  if (parts.month === undefined) return { start: Date.UTC(y, 0, 1), end: Date.UTC(y + 1, 0, 1) };
  const m = parts.month - 1;
  if (parts.day === undefined) return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
  const d = parts.day;
  if (parts.hour === undefined) return { start: Date.UTC(y, m, d), end: Date.UTC(y, m, d + 1) };
  return { start: Date.UTC(y, m, d, parts.hour), end: Date.UTC(y, m, d, parts.hour + 1) };
}

export function partitionOverlaps(parts: Partial<Record<DatePart, number>>, w: TimeWindow): boolean {
  const { start, end } = partitionSpan(parts);
  return end > w.since - PARTITION_MARGIN_MS && start < w.until + PARTITION_MARGIN_MS;
}

/** The 5-minute stamp in a flow-log object name, e.g. `_20240101T1205Z_`, as epoch ms. */
export function fileStamp(key: string): number | null {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const m = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z[_.]/.exec(name);
  if (!m) return null;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  return Number.isNaN(t) ? null : t;
}

/** Whether an object may hold records overlapping the window. Objects without a stamp are kept. */
export function objectInWindow(key: string, w: TimeWindow): boolean {
  const t = fileStamp(key);
  if (t === null) return true;
  return t + FILE_SPAN_AFTER_MS > w.since && t - FILE_REACH_BEFORE_MS <= w.until;
}
