import { randomBytes } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inCidr, Pseudonymizer, PRIVATE_V4, tokensOf, v6Text } from '../../src-main/engine/case/pseudonym.ts';

const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const v4Private = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`),
  fc.tuple(fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `172.${a}.${b}.${c}`),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([b, c]) => `192.168.${b}.${c}`),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([b, c]) => `169.254.${b}.${c}`),
);
const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => v6Text(g.reduce((a, x) => (a << 16n) | BigInt(x), 0n)));
const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));

function bits(a: string): string {
  if (isIPv4(a)) return a.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  const [h, r] = a.includes('::') ? a.split('::') : [a, undefined];
  const hs = h ? h.split(':') : [];
  const rs = r ? r.split(':') : [];
  const g = r === undefined ? hs : [...hs, ...Array(8 - hs.length - rs.length).fill('0'), ...rs];
  return g.map((x) => parseInt(x || '0', 16).toString(2).padStart(16, '0')).join('');
}
function commonPrefix(a: string, b: string): number {
  const x = bits(a);
  const y = bits(b);
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return i;
}
const isPrivate = (a: string) => PRIVATE_V4.some((c) => inCidr(a, c));

describe('prefix-preserving pseudonyms', () => {
  it('IPv4: common-prefix length is equal before and after, for random pairs (incl. pairs sharing a prefix)', () => {
    fc.assert(
      fc.property(key, v4, v4, fc.nat(32), (k, a, b, share) => {
        // Half the time make b share the first `share` bits with a, to exercise long common prefixes.
        const bb = bits(b);
        const mixed = bits(a).slice(0, share) + bb.slice(share);
        const b2 = [0, 8, 16, 24].map((i) => parseInt(mixed.slice(i, i + 8), 2)).join('.');
        const p = new Pseudonymizer(k);
        for (const other of [b, b2]) {
          expect(commonPrefix(p.ipv4(a), p.ipv4(other))).toBe(commonPrefix(a, other));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('IPv6: common-prefix length is preserved', () => {
    fc.assert(
      fc.property(key, v6, v6, fc.nat(128), (k, a, b, share) => {
        const p = new Pseudonymizer(k);
        const mixedBits = bits(a).slice(0, share) + bits(b).slice(share);
        const b2 = v6Text(BigInt(`0b${mixedBits}`));
        expect(commonPrefix(p.ipv6(a), p.ipv6(b2))).toBe(commonPrefix(a, b2));
        expect(isIPv6(p.ipv6(a))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('private stays private (within its own block), public stays public, and the mapping is a consistent function', () => {
    fc.assert(
      fc.property(key, v4Private, v4, (k, priv, any) => {
        const p = new Pseudonymizer(k);
        const m = p.ipv4(priv);
        for (const c of PRIVATE_V4) expect(inCidr(m, c)).toBe(inCidr(priv, c));
        expect(isPrivate(p.ipv4(any))).toBe(isPrivate(any));
        expect(p.ipv4(priv)).toBe(m);
        expect(new Pseudonymizer(k).ipv4(priv)).toBe(m);
        // ULA and link-local IPv6 stay in their blocks too.
        expect(inCidr(p.ipv6('fd12:3456:789a::1'), 'fc00::/7')).toBe(true);
        expect(inCidr(p.ipv6('fe80::1ff:fe23:4567:890a'), 'fe80::/10')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is injective on a sample (a permutation), and different keys give different pseudonyms', () => {
    const p = new Pseudonymizer(randomBytes(32));
    const seen = new Map<string, string>();
    for (let i = 0; i < 4096; i++) {
      const a = `10.1.${i >> 8}.${i & 255}`;
      const m = p.ipv4(a);
      expect(seen.has(m)).toBe(false);
      seen.set(m, a);
      expect(m.startsWith('10.')).toBe(true);
    }
    const q = new Pseudonymizer(randomBytes(32));
    expect([...Array(20)].some((_, i) => q.ipv4(`8.8.8.${i}`) !== p.ipv4(`8.8.8.${i}`))).toBe(true);
  });

  it('rewrites identifiers inside free text and keeps their shape', () => {
    const p = new Pseudonymizer(randomBytes(32));
    const text =
      'arn:aws:ec2:us-east-1:318927465021:vpn-connection/vpn-0c2d4e6f8a0b1c3d5 via tgw-attach-0f9e8d7c6b5a4f3e2 ' +
      'eni-0123456789abcdef0 on ip-10-10-1-21.ec2.internal, route 172.16.0.0/16 -> 169.254.21.41; peer 34.206.11.22. ' +
      'v6 2600:1f18:2c4:a601::10/64 file /home/alice/acme/incident/318927465021_vpcflowlogs_us-east-1_fl-0123abcd_20261120T1300Z_x.log.gz ' +
      's3://acme-logs/AWSLogs/318927465021/x.log.gz 12:34:56 version 2 finding tunnel-down-0123456789ab';
    const out = p.rewrite(text);
    expect(out).not.toMatch(/318927465021|0c2d4e6f8a0b1c3d5|0f9e8d7c6b5a4f3e2|0123456789abcdef0|10-10-1-21|34\.206\.11\.22|2600:1f18|alice|acme|0123abcd|0123456789ab/);
    expect(out).toMatch(/arn:aws:ec2:us-east-1:\d{12}:vpn-connection\/vpn-[0-9a-f]{17} via tgw-attach-[0-9a-f]{17} eni-[0-9a-f]{17}/);
    expect(out).toMatch(/ip-10-\d+-\d+-\d+\.ec2\.internal/);
    expect(out).toMatch(/route 172\.(1[6-9]|2\d|3[01])\.\d+\.\d+\/16 -> 169\.254\.\d+\.\d+; peer /);
    expect(out).toContain('12:34:56 version 2');
    expect(out).toMatch(/ file \d{12}_vpcflowlogs_us-east-1_fl-[0-9a-f]{8}_20261120T1300Z_x\.log\.gz x\.log\.gz 12:34:56/);
    expect(out).toMatch(/finding tunnel-down-[0-9a-f]{12}$/);
    expect(p.leaks(out)).toEqual([]);
    expect(p.leaks(text).length).toBeGreaterThan(5);
    // The rewrite is consistent with the direct mappings.
    expect(out).toContain(p.ipv4('34.206.11.22'));
    expect(p.rewrite('10.10.1.21')).toBe(p.ipv4('10.10.1.21'));
    expect(out).toContain(`ip-${p.ipv4('10.10.1.21').replace(/\./g, '-')}`);
  });

  it('never treats non-addresses as addresses', () => {
    const p = new Pseudonymizer(randomBytes(32));
    for (const s of ['2026-11-20T13:00:00Z', '12:34:56', 'aa:bb:cc:dd:ee:ff', 'version 1.2', '1.2.3', '999.1.1.1', 'vpc-flow-logs', 'AWS/VPN', '0.0.0.0/0', '255.255.255.0', '127.0.0.1', '::1']) {
      expect(p.rewrite(s), s).toBe(s);
    }
    expect(tokensOf('see 10.0.0.1, and 10.0.0.2.').map((t) => t.value)).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('AS numbers', () => {
  it('public ASNs map to public ASNs of the same width, consistently; private ones stay', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 64495 }), fc.integer({ min: 65536, max: 4_199_999_999 }), fc.integer({ min: 64512, max: 65534 }), (k, a16, a32, priv) => {
        const p = new Pseudonymizer(k);
        const m16 = p.asn(a16);
        expect(m16).toBeGreaterThanOrEqual(1);
        expect(m16).toBeLessThanOrEqual(64495);
        expect(p.asn(a16)).toBe(m16);
        const m32 = p.asn(a32);
        expect(m32).toBeGreaterThanOrEqual(65536);
        expect(m32).toBeLessThan(4_200_000_000);
        expect(p.asn(priv)).toBe(priv);
        expect(p.asPath(`${a16} ${priv} ${a16}`)).toBe(`${m16} ${priv} ${m16}`);
      }),
      { numRuns: 200 },
    );
  });

  it('rewrites ASN keys in JSON documents and leaves other numbers exact', () => {
    const p = new Pseudonymizer(randomBytes(32));
    const doc = '{"BgpAsn":"7018","AmazonSideAsn":64512,"bytes":12345678901234567890,"asPath":"7018 65010","Options":{"TunnelOptions":[{"OutsideIpAddress":"34.206.11.22"}]}}';
    const out = JSON.parse(p.json(doc)) as Record<string, unknown>;
    expect(out.BgpAsn).toBe(String(p.asn(7018)));
    expect(out.AmazonSideAsn).toBe(64512);
    expect(out.asPath).toBe(`${p.asn(7018)} 65010`);
    expect(JSON.stringify(out)).toContain(p.ipv4('34.206.11.22'));
    // No ASN key: the text is only token-rewritten, so big numbers are not rounded by JSON.parse.
    expect(p.json('{"bytes":12345678901234567890}')).toBe('{"bytes":12345678901234567890}');
  });
});

describe('free-form names', () => {
  it('tag values, ECS names and the names in ARNs get consistent name- pseudonyms; tag keys, IDs and revisions keep their shape', () => {
    const p = new Pseudonymizer(randomBytes(32));
    const doc = JSON.stringify({
      VpnConnectionId: 'vpn-0123456789abcdef0',
      Tags: [
        { Key: 'Name', Value: 'acme-payments-vpn' },
        { Key: 'Owner', Value: 'netops@acme.example' },
      ],
      TagSet: [{ Key: 'Name', Value: 'acme-payments-vpn' }],
      Description: 'kept: not a tag',
    });
    const out = JSON.parse(p.json(doc)) as { VpnConnectionId: string; Tags: { Key: string; Value: string }[]; TagSet: { Value: string }[]; Description: string };
    expect(out.Tags.map((t) => t.Key)).toEqual(['Name', 'Owner']);
    expect(out.Tags[0]!.Value).toMatch(/^name-[0-9a-f]{8}$/);
    expect(out.Tags[0]!.Value).toBe(p.name('acme-payments-vpn'));
    expect(out.TagSet[0]!.Value).toBe(out.Tags[0]!.Value);
    expect(out.Tags[1]!.Value).not.toContain('acme');
    expect(out.VpnConnectionId).toMatch(/^vpn-[0-9a-f]{17}$/);
    expect(out.VpnConnectionId).not.toBe('vpn-0123456789abcdef0');
    expect(out.Description).toBe('kept: not a tag');
    expect(p.name(p.name('x1'))).toBe(p.name('x1'));

    const arn = p.arn('arn:aws:ecs:us-east-1:123456789012:task-definition/checkout-api:7');
    expect(arn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:task-definition\/name-[0-9a-f]{8}:7$/);
    expect(arn).not.toContain('123456789012');
    expect(arn).toContain(p.name('checkout-api'));
    const vpnArn = p.arn('arn:aws:ec2:us-east-1:123456789012:vpn-connection/vpn-0123456789abcdef0');
    expect(vpnArn).toContain(out.VpnConnectionId);
    expect(p.arn('not an arn 10.1.2.3')).toBe(`not an arn ${p.ipv4('10.1.2.3')}`);
  });
});
