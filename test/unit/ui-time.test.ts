import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatRange, formatTime, zoneLabel } from '../../src-renderer/lib/state/time.ts';

describe('time formatting', () => {
  it('formats UTC by default and always names the zone', () => {
    expect(formatTime('2026-03-14T09:05:07.250Z')).toBe('2026-03-14 09:05:07 UTC');
    expect(formatTime(Date.parse('2026-03-14T09:05:07.250Z'), 'utc', { precision: 'ms' })).toBe('2026-03-14 09:05:07.250 UTC');
    expect(formatTime('2026-03-14T09:05:07Z', 'utc', { precision: 'minute', label: false })).toBe('2026-03-14 09:05');
    expect(formatTime('2026-03-14T09:05:07Z', 'local').endsWith(zoneLabel('local'))).toBe(true);
    expect(zoneLabel('local')).not.toBe('');
    expect(formatTime('not a time')).toBe('—');
  });

  it('repeats the date in a range only across midnight', () => {
    expect(formatRange('2026-03-14T09:00:00Z', '2026-03-14T09:40:00Z')).toBe('2026-03-14 09:00:00 – 09:40:00 UTC');
    expect(formatRange('2026-03-14T23:00:00Z', '2026-03-15T01:00:00Z')).toBe('2026-03-14 23:00:00 – 2026-03-15 01:00:00 UTC');
  });

  it('formats durations, bytes and counts', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(65 * 60_000)).toBe('1 h 5 min');
    expect(formatDuration(300_000)).toBe('5 min');
    expect(formatDuration(50 * 3_600_000)).toBe('2 d 2 h');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
    expect(formatCount(1234567)).toBe('1,234,567');
  });
});
