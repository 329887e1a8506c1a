/**
 * FlowFilter → SQL predicate over the conversations table. Every user value goes in as a named
 * parameter; only fixed column names are written into the SQL text.
 */
import type { FlowFilter } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/result.ts';
import { parseCidr } from '../util.ts';

export type SqlParams = Record<string, string | number | boolean | null>;

/** IPv4 text → BIGINT, NULL for anything else (IPv6 is matched by prefix text). */
export const ipv4Int = (col: string) =>
  `(CASE WHEN regexp_full_match(${col}, '\\d+\\.\\d+\\.\\d+\\.\\d+') THEN (split_part(${col}, '.', 1)::BIGINT * 16777216 + split_part(${col}, '.', 2)::BIGINT * 65536 + split_part(${col}, '.', 3)::BIGINT * 256 + split_part(${col}, '.', 4)::BIGINT) END)`;

/**
 * `numCols` (same order as `cols`) hold the IPv4 address as a number already (conversations'
 * client_v4/server_v4): comparing those integers is what keeps a CIDR filter fast on millions of rows.
 */
export function cidrPredicate(cols: string[], cidr: string, params: SqlParams, name = 'cidr', numCols?: string[]): string {
  const c = parseCidr(cidr.trim());
  if (c) {
    const size = 2 ** (32 - c.len);
    params[`${name}_lo`] = c.base;
    params[`${name}_hi`] = c.base + size - 1;
    // Typed like the column, so the comparison needs no cast of the column and is pushed into the scan.
    const cast = numCols ? '::UINTEGER' : '';
    return `(${cols.map((col, i) => `${numCols?.[i] ?? ipv4Int(col)} BETWEEN $${name}_lo${cast} AND $${name}_hi${cast}`).join(' OR ')})`;
  }
  if (cidr.includes(':')) {
    // IPv6: match on the textual prefix before '::' or the exact address.
    const [addr, len] = cidr.split('/');
    params[`${name}_v6`] = len && Number(len) < 128 ? (addr ?? '').replace(/::$/, '').replace(/:+$/, '') + ':' : (addr ?? '');
    return `(${cols.map((col) => (len && Number(len) < 128 ? `starts_with(${col}, $${name}_v6)` : `${col} = $${name}_v6`)).join(' OR ')})`;
  }
  throw new AppError('bad-argument', `'${cidr}' is not an IP address or CIDR prefix (e.g. 10.0.0.0/16).`);
}

export interface ConvFilterSql {
  where: string;
  params: SqlParams;
  /**
   * The same rows as `where`, as mutually exclusive predicates: one scan per branch, added up
   * (count) or merged (top-N) with UNION ALL. DuckDB pushes `a = x` and `b = x` into the scan (zone
   * maps, no other column read for rows that fail), but not `a = x OR b = x`, which reads both
   * columns of every row (server_port OR client_port at 10 M rows: 74 ms; the two branches: 23 ms).
   */
  branches: string[];
}

/**
 * An OR across two columns as two exclusive alternatives: `a`, then `b` where `a` is not true
 * (IS NOT TRUE also keeps the rows where `a` is NULL, as the OR did).
 */
function either(a: string, b: string): string[] {
  return [a, `${b} AND (${a}) IS NOT TRUE`];
}

/**
 * A CIDR over both endpoints of a conversation, as `either` alternatives on client_v4/server_v4
 * (integers, pushed into the scan). IPv6 is matched on the text, and only where the v4 column is
 * NULL: an address with ':' never has a v4 number, and row groups without NULLs are skipped.
 */
function cidrAlternatives(cidr: string, params: SqlParams): string[] {
  const one = (side: 'client' | 'server') => cidrPredicate([side], cidr, params, 'cidr', [`${side}_v4`]);
  if (parseCidr(cidr.trim())) return either(one('server'), one('client'));
  return either(`server_v4 IS NULL AND ${one('server')}`, `client_v4 IS NULL AND ${one('client')}`);
}

/**
 * Predicate over `conversations`; a tunnel IP in `path` matches the directions attributed to that tunnel.
 * `maxSpanS` (the longest conversation, meta conv_max_span_s) turns `from` into a lower bound on
 * first_seen too, so a time window reads only the row groups around it (the table is in first_seen order).
 */
export function conversationFilter(f: FlowFilter | undefined, tunnelVpn: Map<string, string>, maxSpanS?: number | null): ConvFilterSql {
  const params: SqlParams = {};
  const parts: string[] = ['true'];
  const shared: string[] = ['true'];
  // Groups of exclusive alternatives (one per OR across columns); the branches are their product.
  const alts: string[][] = [];
  const add = (where: string, alternatives?: string[]) => {
    parts.push(where);
    if (alternatives) alts.push(alternatives);
    else shared.push(where);
  };
  if (!f) return { where: 'true', params, branches: ['true'] };
  if (f.from) {
    params.f_from = Math.floor(Date.parse(f.from) / 1000);
    add('last_seen >= $f_from');
    if (maxSpanS != null && Number.isFinite(maxSpanS)) {
      params.f_from_fs = params.f_from - maxSpanS;
      add('first_seen >= $f_from_fs');
    }
  }
  if (f.to) {
    params.f_to = Math.floor(Date.parse(f.to) / 1000);
    add('first_seen < $f_to');
  }
  if (f.cidr) add(cidrPredicate(['client', 'server'], f.cidr, params, 'cidr', ['client_v4', 'server_v4']), cidrAlternatives(f.cidr, params));
  if (f.port !== undefined) {
    params.f_port = f.port;
    add('(server_port = $f_port OR client_port = $f_port)', either('server_port = $f_port', 'client_port = $f_port'));
  }
  if (f.protocol !== undefined) {
    params.f_proto = f.protocol;
    add('protocol = $f_proto');
  }
  if (f.action) {
    // ACCEPT or MIXED (or REJECT or MIXED): the action column holds ACCEPT, REJECT, MIXED or NULL
    // (TGW only), so 'not the other one' is the same set as one comparison, which DuckDB pushes into
    // the scan (14 ms against 20 for the OR over 10 M rows).
    params.f_not_action = f.action === 'ACCEPT' ? 'REJECT' : 'ACCEPT';
    add('action <> $f_not_action');
  }
  if (f.state) {
    params.f_state = f.state;
    add('state = $f_state');
  }
  if (f.path) {
    params.f_path = f.path;
    // A tunnel IP matches the directions tied to that tunnel (see run.ts tieTunnels); anything else
    // is a TGW attachment or VPN id.
    if (tunnelVpn.has(f.path)) add('(tunnel_fwd = $f_path OR tunnel_rev = $f_path)', either('tunnel_fwd = $f_path', 'tunnel_rev = $f_path'));
    else add('(list_contains(attach_fwd, $f_path) OR list_contains(attach_rev, $f_path) OR list_contains(vpn_fwd, $f_path) OR list_contains(vpn_rev, $f_path))');
  }
  if (f.capturePoint) {
    params.f_cp = f.capturePoint;
    add('(list_contains(capture_fwd, $f_cp) OR list_contains(capture_rev, $f_cp))');
  }
  let branches: string[][] = [[]];
  for (const group of alts) branches = branches.flatMap((b) => group.map((a) => [...b, a]));
  return { where: parts.join(' AND '), params, branches: branches.map((b) => [...shared, ...b].join(' AND ')) };
}
