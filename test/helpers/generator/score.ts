/**
 * Scores analysis findings against a generator truth file, with the matching rule README.md states:
 * same kind, time ranges overlap within ±5 minutes, and every subject key present on both sides
 * agrees (CIDRs agree when one contains the other; an address agrees with a CIDR containing it).
 */
import type { Finding, FindingSubject } from '../../../src-main/shared/domain.ts';
import type { ExpectedFinding } from './scenarios.ts';

export const TOLERANCE_S = 300;

export interface Score {
  /** Required truth entries no finding matched. */
  missed: ExpectedFinding[];
  /** Warning/critical findings that match no truth entry (required or allowed). */
  falsePositives: Finding[];
  matched: { expected: ExpectedFinding; finding: Finding }[];
}

function ipToInt(ip: string): number | null {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  return p.reduce((a, x) => a * 256 + Number(x), 0);
}

/** Does a (address or CIDR) agree with b (address or CIDR)? IPv6 compares as text. */
export function addrAgrees(a: string, b: string): boolean {
  if (a === b) return true;
  const parse = (s: string) => {
    const [ip, len] = s.split('/');
    const n = ipToInt(ip!);
    return n === null ? null : { n, len: len === undefined ? 32 : Number(len) };
  };
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return false;
  const len = Math.min(x.len, y.len);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((x.n & mask) >>> 0) === ((y.n & mask) >>> 0);
}

export function subjectAgrees(truth: FindingSubject, found: FindingSubject): boolean {
  for (const k of Object.keys(truth) as (keyof FindingSubject)[]) {
    const a = truth[k];
    const b = found[k];
    if (a === undefined || b === undefined) continue;
    if (k === 'src_cidr' || k === 'dst_addr') {
      if (!addrAgrees(String(a), String(b))) return false;
    } else if (a !== b) return false;
  }
  return true;
}

export function matches(e: ExpectedFinding, f: Finding): boolean {
  if (e.kind !== f.kind) return false;
  const es = Date.parse(e.start) / 1000 - TOLERANCE_S;
  const ee = Date.parse(e.end) / 1000 + TOLERANCE_S;
  const fs = Date.parse(f.start) / 1000;
  const fe = Date.parse(f.end) / 1000;
  if (fe < es || fs > ee) return false;
  return subjectAgrees(e.subject, f.subject);
}

export function scoreFindings(expected: ExpectedFinding[], findings: Finding[]): Score {
  const matched: Score['matched'] = [];
  const missed: ExpectedFinding[] = [];
  for (const e of expected) {
    const f = findings.find((x) => matches(e, x));
    if (f) matched.push({ expected: e, finding: f });
    else if (e.required) missed.push(e);
  }
  const falsePositives = findings.filter((f) => f.severity !== 'info' && !expected.some((e) => matches(e, f)));
  return { missed, falsePositives, matched };
}
