/**
 * Time formatting for every view. UTC is the default; a time shown to the user always carries
 * its zone ("UTC" or the local zone name) so a screenshot pasted into a ticket cannot be misread.
 */
import type { EpochMs, Iso } from '../../../src-main/shared/domain.ts';

export type TimeZoneMode = 'utc' | 'local';

/** The IANA name of the browser's zone, e.g. "Europe/Berlin" (falls back to "local"). */
export function localZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local';
  } catch {
    return 'local';
  }
}

/** The label shown next to times: "UTC" or the local zone name. */
export function zoneLabel(tz: TimeZoneMode): string {
  return tz === 'utc' ? 'UTC' : localZoneName();
}

export function toMs(t: EpochMs | Iso | Date): EpochMs {
  if (typeof t === 'number') return t;
  if (t instanceof Date) return t.getTime();
  return Date.parse(t);
}

export function toIso(ms: EpochMs): Iso {
  return new Date(ms).toISOString();
}

interface Parts {
  y: string;
  mo: string;
  d: string;
  h: string;
  mi: string;
  s: string;
  ms: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function parts(ms: EpochMs, tz: TimeZoneMode): Parts {
  const d = new Date(ms);
  if (tz === 'utc') {
    return {
      y: String(d.getUTCFullYear()),
      mo: pad(d.getUTCMonth() + 1),
      d: pad(d.getUTCDate()),
      h: pad(d.getUTCHours()),
      mi: pad(d.getUTCMinutes()),
      s: pad(d.getUTCSeconds()),
      ms: pad(d.getUTCMilliseconds(), 3),
    };
  }
  return {
    y: String(d.getFullYear()),
    mo: pad(d.getMonth() + 1),
    d: pad(d.getDate()),
    h: pad(d.getHours()),
    mi: pad(d.getMinutes()),
    s: pad(d.getSeconds()),
    ms: pad(d.getMilliseconds(), 3),
  };
}

export type TimePrecision = 'minute' | 'second' | 'ms';

/** "2026-03-14 09:12:05 UTC" (or the local zone name). Pass `label: false` where a header already names the zone. */
export function formatTime(t: EpochMs | Iso, tz: TimeZoneMode = 'utc', opts: { precision?: TimePrecision; label?: boolean; date?: boolean } = {}): string {
  const ms = toMs(t);
  if (!Number.isFinite(ms)) return '—';
  const p = parts(ms, tz);
  const precision = opts.precision ?? 'second';
  let clock = `${p.h}:${p.mi}`;
  if (precision !== 'minute') clock += `:${p.s}`;
  if (precision === 'ms') clock += `.${p.ms}`;
  const text = opts.date === false ? clock : `${p.y}-${p.mo}-${p.d} ${clock}`;
  return opts.label === false ? text : `${text} ${zoneLabel(tz)}`;
}

/** "09:12:05 – 09:40:00 UTC", with the date repeated only when the range crosses midnight. */
export function formatRange(from: EpochMs | Iso, to: EpochMs | Iso, tz: TimeZoneMode = 'utc', precision: TimePrecision = 'second'): string {
  const a = toMs(from);
  const b = toMs(to);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return '—';
  const pa = parts(a, tz);
  const pb = parts(b, tz);
  const sameDay = pa.y === pb.y && pa.mo === pb.mo && pa.d === pb.d;
  const left = formatTime(a, tz, { precision, label: false });
  const right = formatTime(b, tz, { precision, label: false, date: !sameDay });
  return `${left} – ${right} ${zoneLabel(tz)}`;
}

/** "1 h 5 min", "42 s", "3 d 2 h" — durations in incident time. */
export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = i === 0 ? String(Math.round(v)) : v.toFixed(v >= 100 ? 0 : 1);
  return `${n < 0 ? '-' : ''}${s} ${units[i]}`;
}

/** 12345 → "12,345" (locale-independent so tests and screenshots agree). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
