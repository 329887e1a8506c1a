import { describe, it, expect } from 'vitest';
import { scoreFindings, addrAgrees, type ExpectedFinding } from '../helpers/generator/index.ts';
import type { Finding } from '../../src-main/shared/domain.ts';

const exp = (over: Partial<ExpectedFinding>): ExpectedFinding => ({
  kind: 'reject-burst', subject: { dst_addr: '10.10.1.50', dst_port: 5432, src_cidr: '172.16.20.0/24' },
  start: '2026-11-20T14:35:00Z', end: '2026-11-20T14:55:00Z', required: true, severity: 'warning', scenario: 'sg-reject', detail: {}, ...over,
});
const finding = (over: Partial<Finding>): Finding => ({
  id: 'f1', kind: 'reject-burst', severity: 'warning', title: '', summary: '', start: '2026-11-20T14:37:00Z', end: '2026-11-20T14:50:00Z',
  subject: { dst_addr: '10.10.1.50', dst_port: 5432, src_cidr: '172.16.20.40/32' }, stats: {}, evidence: { sql: '', rows: [] }, ...over,
});

describe('truth scoring', () => {
  it('matches on kind, overlapping time (±5 min) and agreeing subject keys', () => {
    expect(scoreFindings([exp({})], [finding({})]).missed).toEqual([]);
    expect(scoreFindings([exp({})], [finding({ start: '2026-11-20T14:58:00Z', end: '2026-11-20T15:10:00Z' })]).missed).toEqual([]);
    expect(scoreFindings([exp({})], [finding({ start: '2026-11-20T15:01:00Z', end: '2026-11-20T15:10:00Z' })]).missed.length).toBe(1);
    expect(scoreFindings([exp({})], [finding({ subject: { dst_addr: '10.10.1.21', dst_port: 5432 } })]).missed.length).toBe(1);
  });

  it('counts unmatched warning/critical findings as false positives, never info ones', () => {
    const s = scoreFindings([], [finding({}), finding({ id: 'f2', kind: 'route-change', severity: 'info' })]);
    expect(s.falsePositives.map((f) => f.id)).toEqual(['f1']);
    const allowed = scoreFindings([exp({ kind: 'syn-no-synack', required: false, subject: { dst_addr: '10.10.1.50', dst_port: 5432 } })], [finding({ kind: 'syn-no-synack' })]);
    expect(allowed.falsePositives).toEqual([]);
    expect(allowed.missed).toEqual([]);
  });

  it('compares addresses and CIDRs by containment', () => {
    expect(addrAgrees('172.16.20.0/24', '172.16.20.41')).toBe(true);
    expect(addrAgrees('172.16.0.0/16', '172.16.20.0/24')).toBe(true);
    expect(addrAgrees('172.16.20.0/24', '172.16.21.5')).toBe(false);
    expect(addrAgrees('2600:1f18:2c4:a601::21', '2600:1f18:2c4:a601::21')).toBe(true);
  });
});
