/**
 * Small formatters for network nouns shown in tables: protocols, ports, TCP flags, endpoints, ETA.
 * Times, durations, bytes and counts live in lib/state/time.ts; re-exported here so views import one place.
 */
export { formatBytes, formatCount, formatDuration, formatRange, formatTime } from '../state/time.ts';

const PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 47: 'GRE', 50: 'ESP', 51: 'AH', 58: 'ICMPv6', 132: 'SCTP' };

/** 6 → "TCP"; unknown numbers stay numeric ("proto 99"). */
export function protocolName(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return PROTOCOLS[n] ?? `proto ${n}`;
}

/** "tcp", "TCP", "6" → 6. Returns null for empty input, NaN for something unrecognizable. */
export function parseProtocol(text: string): number | null {
  const t = text.trim();
  if (!t) return null;
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 255 ? n : Number.NaN;
  }
  const upper = t.toUpperCase();
  for (const [num, name] of Object.entries(PROTOCOLS)) if (name === upper) return Number(num);
  return Number.NaN;
}

export const protocolChoices: { value: number; label: string }[] = [6, 17, 1, 50, 47, 58].map((value) => ({ value, label: PROTOCOLS[value]! }));

const WELL_KNOWN: Record<number, string> = {
  22: 'ssh', 53: 'dns', 80: 'http', 123: 'ntp', 179: 'bgp', 389: 'ldap', 443: 'https', 500: 'ike', 1433: 'mssql',
  1521: 'oracle', 3306: 'mysql', 3389: 'rdp', 4500: 'ipsec-nat-t', 5432: 'postgres', 6379: 'redis', 8080: 'http-alt', 8443: 'https-alt',
};

/** 443 → "443 (https)"; null → "—". */
export function portLabel(port: number | null | undefined): string {
  if (port === null || port === undefined) return '—';
  const name = WELL_KNOWN[port];
  return name ? `${port} (${name})` : String(port);
}

/** "10.0.1.5:443", "[2001:db8::1]:443" or just the address when there is no port. */
export function endpoint(addr: string, port: number | null | undefined): string {
  if (port === null || port === undefined) return addr;
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** The cumulative tcp-flags value of a flow log record → "SYN ACK FIN" (18 = SYN-ACK seen). */
export function tcpFlagsLabel(flags: number | null | undefined): string {
  if (flags === null || flags === undefined) return '—';
  if (flags === 0) return 'none';
  const names: [number, string][] = [[2, 'SYN'], [16, 'ACK'], [1, 'FIN'], [4, 'RST'], [8, 'PSH'], [32, 'URG']];
  return names.filter(([bit]) => flags & bit).map(([, name]) => name).join(' ') || String(flags);
}

/** Seconds remaining → "about 3 min", "12 s", "—". */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `about ${m} min`;
  return `about ${Math.round(m / 60)} h`;
}

/** Share of work done as 0…100, tolerant of a zero total. */
export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, (done / total) * 100));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Validates an address or CIDR typed into a filter. Returns a sentence when it is wrong, null when fine. */
export function cidrProblem(text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  const [addr, bits, extra] = t.split('/');
  if (extra !== undefined) return 'A CIDR has one "/", like 10.0.0.0/16.';
  const v4 = IPV4.test(addr ?? '');
  const v6 = !v4 && /^[0-9a-fA-F:.]+$/.test(addr ?? '') && (addr ?? '').includes(':');
  if (!v4 && !v6) return `"${addr}" is not an IPv4 or IPv6 address.`;
  if (bits !== undefined) {
    const max = v4 ? 32 : 128;
    if (!/^\d+$/.test(bits) || Number(bits) > max) return `The prefix length must be 0–${max}.`;
  }
  return null;
}

/** The file name part of a path (either separator), for compact table cells. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
