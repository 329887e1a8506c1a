/** Small pure helpers shared by the analysis modules: time, SQL literals for evidence text, prefixes, robust stats. */

export const isoS = (epochS: number): string => new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');
export const fmtTime = (epochS: number): string => isoS(epochS).replace('T', ' ').replace('Z', ' UTC');

/**
 * Quotes a value for the evidence SQL text a user can paste into the SQL console. Only used for
 * the displayed/replayed evidence query, whose values come from the analysed records; every query
 * that takes a user's input uses prepared-statement parameters instead.
 */
export function lit(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in evidence SQL');
    return String(Math.trunc(v) === v ? v : v);
  }
  return `'${v.replace(/'/g, "''")}'`;
}

export function litList(vs: (string | number)[]): string {
  return `(${vs.map(lit).join(', ')})`;
}

// ---- prefixes ----------------------------------------------------------------------------------

function v4(a: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (!m) return null;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return null;
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

function v4text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 text → its 8 groups without leading zeros, or null. */
function expand6(a: string): string[] | null {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/** The smallest IPv4 prefix covering every address (IPv6: at most a /64), but never shorter than /minLen (then: the most common /24). */
export function coverPrefix(addrs: string[], minLen = 16): string | null {
  const nums = [...new Set(addrs)].map(v4).filter((x): x is number => x !== null);
  if (nums.length === 0) {
    const v6 = [...new Set(addrs.filter((a) => a.includes(':')))].map(expand6).filter((g): g is string[] => g !== null);
    if (v6.length === 0) return null;
    if (v6.length === 1) return `${v6[0]!.join(':')}/128`;
    let n = 0;
    while (n < 4 && v6.every((g) => g[n] === v6[0]![n])) n++;
    return `${v6[0]!.slice(0, n).join(':')}::/${n * 16}`;
  }
  let len = 32;
  const first = nums[0]!;
  for (const n of nums) {
    while (len > 0 && (n >>> (32 - len)) !== (first >>> (32 - len))) len--;
  }
  if (len < minLen) {
    const counts = new Map<number, number>();
    for (const n of nums) counts.set(n >>> 8, (counts.get(n >>> 8) ?? 0) + 1);
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    return `${v4text(top << 8)}/24`;
  }
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return `${v4text((first & mask) >>> 0)}/${len}`;
}

export function parseCidr(cidr: string): { base: number; len: number } | null {
  const [a, l] = cidr.split('/');
  const base = v4(a ?? '');
  const len = l === undefined ? 32 : Number(l);
  if (base === null || !Number.isInteger(len) || len < 0 || len > 32) return null;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { base: (base & mask) >>> 0, len };
}

export function cidrContains(cidr: string, addr: string): boolean {
  const c = parseCidr(cidr);
  const n = v4(addr);
  if (!c || n === null) return cidr === addr || cidr === `${addr}/128`;
  const mask = c.len === 0 ? 0 : (0xffffffff << (32 - c.len)) >>> 0;
  return ((n & mask) >>> 0) === c.base;
}

/** Does prefix a cover prefix b (a is the same or less specific)? */
export function cidrCovers(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return a === b;
  if (pa.len > pb.len) return false;
  const mask = pa.len === 0 ? 0 : (0xffffffff << (32 - pa.len)) >>> 0;
  return ((pb.base & mask) >>> 0) === pa.base;
}

// ---- robust statistics -----------------------------------------------------------------------

export function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation scaled to σ for normal data. */
export function mad(xs: number[], med = median(xs)): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - med)));
}

export interface Run {
  /** Index of the first and last bucket above threshold. */
  i0: number;
  i1: number;
  total: number;
  peak: number;
}

export interface Baseline {
  /** Typical level: the 25th percentile, so an incident covering most of the data cannot hide itself. */
  level: number;
  /** Robust spread (1.4826 × median absolute deviation from the level, over the lower half of the values). */
  spread: number;
  threshold: number;
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!;
}

export function baselineOf(values: number[], floor: number, k = 6): Baseline {
  const level = quantile(values, 0.25);
  const lower = [...values].sort((a, b) => a - b).slice(0, Math.max(1, Math.ceil(values.length / 2)));
  const spread = 1.4826 * median(lower.map((x) => Math.abs(x - level)));
  return { level, spread, threshold: Math.max(floor, level + k * spread, level * 3) };
}

/**
 * Bursts in a dense series: buckets at or above max(floor, level + k·spread, 3·level), merged
 * when separated by at most `bridge` quiet buckets. The baseline is the series itself, so a
 * steady background (scanners, a chronic misconfiguration) raises the bar instead of raising findings.
 */
export function bursts(values: number[], opts: { k?: number; floor: number; bridge?: number }): { runs: Run[]; baseline: Baseline } {
  const baseline = baselineOf(values, opts.floor, opts.k);
  const threshold = baseline.threshold;
  const runs: Run[] = [];
  const bridge = opts.bridge ?? 1;
  let cur: Run | null = null;
  let quiet = 0;
  values.forEach((v, i) => {
    if (v >= threshold) {
      if (cur && quiet <= bridge) {
        cur.i1 = i;
        cur.total += v;
        cur.peak = Math.max(cur.peak, v);
      } else {
        if (cur) runs.push(cur);
        cur = { i0: i, i1: i, total: v, peak: v };
      }
      quiet = 0;
    } else if (cur) {
      quiet++;
      if (quiet <= bridge) cur.total += v;
    }
  });
  if (cur) runs.push(cur);
  return { runs, baseline };
}

/** Dense per-bucket array from sparse (bucket → value) rows over [from, to). */
export function dense(rows: { bucket: number; v: number }[], from: number, to: number, size: number): number[] {
  const n = Math.max(1, Math.ceil((to - from) / size));
  const out = new Array<number>(n).fill(0);
  for (const r of rows) {
    const i = Math.floor((r.bucket - from) / size);
    if (i >= 0 && i < n) out[i]! += r.v;
  }
  return out;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 50: 'ESP', 58: 'ICMPv6' };
export const protoName = (p: number | null | undefined): string => (p == null ? '?' : (PROTO[p] ?? `protocol ${p}`));

export const cap = (s: string): string => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

/** Keeps only the named parameters `sql` references (DuckDB rejects unused named parameters). */
export function only<T extends Record<string, unknown>>(sql: string, params: T): T {
  const used = new Set([...sql.matchAll(/\$([A-Za-z_]\w*)/g)].map((m) => m[1]!));
  return Object.fromEntries(Object.entries(params).filter(([k]) => used.has(k))) as T;
}

/** A prefix no longer than /maxLen (IPv4): route entries are rarely more specific than a /24. */
export function widen(cidr: string | null, maxLen = 24): string | null {
  const c = cidr ? parseCidr(cidr) : null;
  if (!c || c.len <= maxLen) return cidr;
  const mask = (0xffffffff << (32 - maxLen)) >>> 0;
  return `${v4text((c.base & mask) >>> 0)}/${maxLen}`;
}
