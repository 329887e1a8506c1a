/** Parses a time typed by the analyst ("2026-03-14 09:12", "…:05", ISO 8601 with zone) in the chosen zone. */
export function parseTimeInput(text: string, tz: 'utc' | 'local'): number {
  const t = text.trim().replace(/\s+(UTC|Z)$/i, 'Z');
  if (!t) return Number.NaN;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s = '0', ms = '0', zone] = m;
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0'))] as const;
  if (zone) {
    const iso = `${y}-${mo}-${d}T${h}:${mi}:${s.padStart(2, '0')}.${ms.padEnd(3, '0')}${zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`;
    return Date.parse(iso);
  }
  const ms2 = tz === 'utc' ? Date.UTC(...parts) : new Date(...parts).getTime();
  // Reject impossible dates that Date would roll over (2026-02-31).
  const back = new Date(ms2);
  const day = tz === 'utc' ? back.getUTCDate() : back.getDate();
  return day === Number(d) ? ms2 : Number.NaN;
}
