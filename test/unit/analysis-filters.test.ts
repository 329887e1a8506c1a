/** conversationFilter's exclusive branches (the SQL they stand for is checked against data in test/integration/analysis-conversations-query.test.ts). */
import { describe, expect, it } from 'vitest';
import { conversationFilter } from '../../src-main/engine/analysis/sql/filters.ts';

describe('conversationFilter branches', () => {
  it('no OR across columns: one branch, the where itself', () => {
    const f = conversationFilter({ state: 'half-open', protocol: 6, action: 'REJECT' }, new Map());
    expect(f.branches).toEqual([f.where]);
    expect(conversationFilter(undefined, new Map()).branches).toEqual(['true']);
  });

  it('a port is server side, or client side where the server side is not it (NULL included)', () => {
    const f = conversationFilter({ port: 443 }, new Map());
    expect(f.branches).toEqual(['true AND server_port = $f_port', 'true AND client_port = $f_port AND (server_port = $f_port) IS NOT TRUE']);
    expect(f.params).toEqual({ f_port: 443 });
    expect(f.where).toContain('(server_port = $f_port OR client_port = $f_port)');
  });

  it('CIDR and port multiply into four exclusive branches, each with the shared predicates', () => {
    const f = conversationFilter({ cidr: '10.0.0.0/8', port: 22, state: 'completed', from: '2026-01-01T00:00:00Z' }, new Map(), 600);
    expect(f.branches).toHaveLength(4);
    for (const b of f.branches) expect(b).toMatch(/^true AND last_seen >= \$f_from AND first_seen >= \$f_from_fs AND state = \$f_state AND /);
    expect(f.branches.filter((b) => b.includes('((server_v4 BETWEEN $cidr_lo::UINTEGER AND $cidr_hi::UINTEGER)) IS NOT TRUE'))).toHaveLength(2);
    expect(f.branches.filter((b) => b.includes('(server_port = $f_port) IS NOT TRUE'))).toHaveLength(2);
    expect(f.params).toMatchObject({ cidr_lo: 167772160, cidr_hi: 184549375, f_port: 22, f_state: 'completed' });
  });

  it('IPv6 prefixes only look at rows without a v4 number, on each side', () => {
    const f = conversationFilter({ cidr: '2001:db8::/32' }, new Map());
    expect(f.branches[0]).toContain('server_v4 IS NULL AND (starts_with(server, $cidr_v6))');
    expect(f.branches[1]).toContain('client_v4 IS NULL AND (starts_with(client, $cidr_v6))');
    expect(f.params.cidr_v6).toBe('2001:db8:');
  });

  it('a tunnel path is forward, or reverse where forward is not it; attachments stay one predicate', () => {
    expect(conversationFilter({ path: '203.0.113.10' }, new Map([['203.0.113.10', 'vpn-1']])).branches).toHaveLength(2);
    expect(conversationFilter({ path: 'tgw-attach-1' }, new Map()).branches).toHaveLength(1);
  });
});
