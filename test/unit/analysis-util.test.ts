import { describe, expect, it } from 'vitest';
import { findingId } from '../../src-main/engine/analysis/findings.ts';
import { conversationFilter } from '../../src-main/engine/analysis/sql/filters.ts';
import { pickBucket } from '../../src-main/engine/analysis/timeline.ts';
import { baselineOf, bursts, cidrContains, cidrCovers, coverPrefix, lit, only, widen } from '../../src-main/engine/analysis/util.ts';

describe('prefixes', () => {
  it('covers a set of addresses with the smallest prefix, never shorter than /16', () => {
    expect(coverPrefix(['172.16.20.40', '172.16.20.41'])).toBe('172.16.20.40/31');
    expect(coverPrefix(['172.16.10.3', '172.16.10.200'])).toBe('172.16.10.0/24');
    expect(coverPrefix(['10.0.0.1'])).toBe('10.0.0.1/32');
    // Too scattered: the busiest /24 instead of a useless /1.
    expect(coverPrefix(['10.0.0.1', '10.0.0.2', '192.168.1.1'])).toBe('10.0.0.0/24');
    expect(coverPrefix([])).toBeNull();
    expect(coverPrefix(['2600:1f18::a', '2600:1f18::b'])).toBe('2600:1f18:0:0::/64');
    expect(coverPrefix(['2600:1f18:2c4:a601::5'])).toBe('2600:1f18:2c4:a601:0:0:0:5/128');
  });
  it('tests containment and widens long prefixes to /24', () => {
    expect(cidrContains('172.16.0.0/16', '172.16.20.10')).toBe(true);
    expect(cidrContains('172.16.0.0/16', '172.17.0.1')).toBe(false);
    expect(cidrCovers('172.16.0.0/16', '172.16.20.0/24')).toBe(true);
    expect(cidrCovers('172.16.20.0/24', '172.16.0.0/16')).toBe(false);
    expect(widen('172.16.20.0/26')).toBe('172.16.20.0/24');
    expect(widen('172.16.0.0/16')).toBe('172.16.0.0/16');
  });
});

describe('robust baselines', () => {
  it('a quiet series with sporadic noise has no burst; a spike has one', () => {
    const noise: number[] = Array.from({ length: 288 }, (_, i) => (i % 37 === 0 ? 2 : i % 11 === 0 ? 1 : 0));
    expect(bursts(noise, { floor: 5 }).runs).toEqual([]);
    const spike = [...noise];
    for (let i = 100; i < 106; i++) spike[i] = 20;
    const { runs } = bursts(spike, { floor: 5 });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ i0: 100, i1: 105, peak: 20 });
  });
  it('a steady background raises the bar instead of raising findings', () => {
    const steady = Array.from({ length: 200 }, (_, i) => 10 + (i % 3));
    expect(baselineOf(steady, 5).threshold).toBeGreaterThanOrEqual(30);
    expect(bursts(steady, { floor: 5 }).runs).toEqual([]);
  });
  it('an incident covering most of the data cannot hide in its own median', () => {
    const series = Array.from({ length: 100 }, (_, i) => (i >= 30 ? 15 : 0));
    expect(bursts(series, { floor: 5 }).runs).toHaveLength(1);
  });
});

describe('finding ids', () => {
  it('depend on kind, subject (key order ignored) and start only', () => {
    const a = findingId('tunnel-down', { vpn_id: 'vpn-1', tunnel_ip: '1.2.3.4' }, 100);
    expect(findingId('tunnel-down', { tunnel_ip: '1.2.3.4', vpn_id: 'vpn-1' }, 100)).toBe(a);
    expect(findingId('tunnel-down', { vpn_id: 'vpn-1', tunnel_ip: '1.2.3.4' }, 101)).not.toBe(a);
    expect(findingId('route-change', { vpn_id: 'vpn-1', tunnel_ip: '1.2.3.4' }, 100)).not.toBe(a);
    expect(a).toMatch(/^tunnel-down-[0-9a-f]{12}$/);
  });
});

describe('timeline buckets', () => {
  it('picks the smallest standard bucket that keeps within maxBuckets, never below 60 s', () => {
    expect(pickBucket(0, 3600, 600)).toBe(60);
    expect(pickBucket(0, 86_400, 600)).toBe(300);
    expect(pickBucket(0, 86_400, 100)).toBe(900);
    expect(pickBucket(0, 30 * 86_400, 100)).toBe(43_200);
  });
});

describe('SQL safety', () => {
  it('user filter values become parameters, never SQL text', () => {
    const f = conversationFilter({ cidr: '10.0.0.0/8', port: 443, state: 'half-open', path: "x' OR 1=1 --" }, new Map());
    expect(f.where).not.toContain("OR 1=1");
    expect(f.params).toMatchObject({ f_port: 443, f_state: 'half-open', f_path: "x' OR 1=1 --", cidr_lo: 167772160, cidr_hi: 184549375 });
    expect(() => conversationFilter({ cidr: 'nonsense' }, new Map())).toThrow(/not an IP address/);
  });
  it('evidence literals are quoted, and only referenced parameters are passed', () => {
    expect(lit("it's")).toBe("'it''s'");
    expect(lit(5)).toBe('5');
    expect(only('SELECT $a, $b2', { a: 1, b2: 2, c: 3 })).toEqual({ a: 1, b2: 2 });
  });
});
