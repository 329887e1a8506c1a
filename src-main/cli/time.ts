import { AppError } from '../shared/result.ts';

/**
 * Reads a time given on the command line: ISO 8601 (`2024-03-02T06:00:00Z`), the same with a space
 * and no zone (taken as UTC, like every time Tunnelscope prints), or Unix seconds.
 */
export function parseCliTime(value: string, flag: string): Date {
  const v = value.trim();
  let ms: number;
  if (/^\d{9,11}$/.test(v)) ms = Number(v) * 1000;
  else {
    const iso = v.replace(' ', 'T');
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso);
    ms = Date.parse(hasZone || !/T/.test(iso) ? (hasZone ? iso : `${iso}T00:00:00Z`) : `${iso}Z`);
  }
  if (Number.isNaN(ms)) throw new AppError('bad-argument', `${flag} '${value}' is not a time; use ISO 8601 such as 2024-03-02T06:00:00Z (UTC).`);
  return new Date(ms);
}
