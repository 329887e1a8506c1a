/**
 * Keyed, consistent pseudonyms for everything in a case that identifies a network or an account.
 *
 * IP addresses use a Crypto-PAn-style prefix-preserving permutation: output bit i is input bit i
 * XOR a keyed pseudo-random function (HMAC-SHA256) of the first i input bits. Two addresses that
 * share their first k bits map to two addresses that share exactly their first k bits, so subnets
 * stay subnets, and the same address always maps to the same address. To keep address *classes*
 * (private stays private, public stays public), a bit is only flipped where the subtree below it
 * lies entirely inside one special block or entirely outside all of them; so 10/8 maps onto 10/8,
 * 192.168/16 onto 192.168/16, public onto public. Loopback, multicast, 0/8 and 240/4 are not
 * identifying and stay as they are. The cost: public addresses next to a special block keep a
 * few more leading bits than pure Crypto-PAn would.
 *
 * AWS resource IDs keep their prefix (eni-, vpc-, tgw-attach-, …) and length with keyed hex, account
 * IDs become other 12-digit numbers, public AS numbers other public AS numbers (AS-path columns and
 * ASN keys of JSON documents; private ASNs stay), finding ids and md5 ids get keyed replacements,
 * EC2 host names (ip-10-0-1-5) follow their address, and absolute paths / S3 URIs become basenames.
 * Free-form names an organisation chose (tag values under Tags/TagSet in config documents, ECS
 * cluster and service names, the resource part of ARNs) become `name-<keyed hex>`; tag keys stay
 * ("Name", "Environment" identify nothing). Names inside free text (notes) are not recognised:
 * drop the notes when that matters.
 *
 * The key is random per export and lives only in memory.
 */
import { createHmac } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

interface Block {
  len: number;
  /** The block's prefix bits, as a bigint of `len` bits. */
  bits: bigint;
  fixed: boolean;
}

function v4Bits(a: string): bigint {
  return a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function v6Bits(a: string): bigint {
  let text = a.toLowerCase();
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4Bits(tail[1]!);
    text = text.slice(0, -tail[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export function v4Text(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}

/** RFC 5952 text: lowercase, longest run of zero groups (length ≥ 2) as '::'. */
export function v6Text(n: bigint): string {
  const g = [...Array(8)].map((_, i) => Number((n >> BigInt(112 - i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function block(cidr: string, fixed = false): Block {
  const [addr, len] = cidr.split('/') as [string, string];
  const width = addr.includes(':') ? 128 : 32;
  const n = width === 32 ? v4Bits(addr) : v6Bits(addr);
  return { len: Number(len), bits: n >> BigInt(width - Number(len)), fixed };
}

const V4_BLOCKS: Block[] = [
  block('0.0.0.0/8', true),
  block('127.0.0.0/8', true),
  block('224.0.0.0/4', true),
  block('240.0.0.0/4', true),
  block('10.0.0.0/8'),
  block('100.64.0.0/10'),
  block('169.254.0.0/16'),
  block('172.16.0.0/12'),
  block('192.0.0.0/24'),
  block('192.0.2.0/24'),
  block('192.168.0.0/16'),
  block('198.18.0.0/15'),
  block('198.51.100.0/24'),
  block('203.0.113.0/24'),
];

const V6_BLOCKS: Block[] = [
  block('::/127', true), // :: and ::1
  block('ff00::/8', true),
  block('::ffff:0:0/96'),
  block('64:ff9b::/96'),
  block('100::/64'),
  block('2001:db8::/32'),
  block('fc00::/7'),
  block('fe80::/10'),
];

/** The private (RFC 1918, link-local, CGNAT, ULA, documentation) blocks, for tests and callers. */
export const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'];

function classOf(n: bigint, width: number, blocks: Block[]): Block | null {
  for (const b of blocks) if (n >> BigInt(width - b.len) === b.bits) return b;
  return null;
}

export function inCidr(addr: string, cidr: string): boolean {
  const b = block(cidr);
  const width = addr.includes(':') ? 128 : 32;
  if ((width === 128) !== cidr.includes(':')) return false;
  const n = width === 32 ? v4Bits(addr) : v6Bits(addr);
  return n >> BigInt(width - b.len) === b.bits;
}

const ID_PREFIXES = [
  'tgw-attach',
  'tgw-rtb',
  'tgw-connect',
  'tgw-peer',
  'tgw',
  'vpn',
  'cgw',
  'vgw',
  'eni',
  'vpce-svc',
  'vpce',
  'vpc',
  'subnet',
  'rtbassoc',
  'rtb',
  'fl',
  'pcx',
  'igw',
  'eigw',
  'nat',
  'acl',
  'sg',
  'pl',
  'dxcon',
  'dxvif',
  'dxgw',
  'lgw',
  'eipalloc',
  'eipassoc',
  'i',
];
const FINDING_KINDS = ['asymmetric-return', 'ecmp-active', 'half-open', 'syn-no-synack', 'tunnel-down', 'reject-burst', 'tgw-drop', 'log-gap', 'route-change'];

/**
 * One regex for every token kind. Order matters: longer, more specific forms first. The lookarounds
 * make sure a token is never a piece of a longer word or number.
 */
export const TOKEN_RE = new RegExp(
  [
    String.raw`(?<s3>s3://[^\s"'/\\]+(?:/[^\s"'/\\]+)*/(?<s3base>[^\s"'/\\]+))`,
    String.raw`(?<path>(?<![\w.:/~-])/(?:[\w.@+~-]+/)+(?<pathbase>[\w.@+~-]+))`,
    String.raw`(?<host>(?<![A-Za-z0-9-])ip-(?<h1>\d{1,3})-(?<h2>\d{1,3})-(?<h3>\d{1,3})-(?<h4>\d{1,3})(?![0-9]))`,
    String.raw`(?<finding>(?<![A-Za-z0-9-])(?<fkind>${FINDING_KINDS.join('|')})-[0-9a-f]{12}(?![0-9A-Za-z]))`,
    String.raw`(?<awsid>(?<![A-Za-z0-9-])(?<idp>${ID_PREFIXES.join('|')})-(?<idhex>[0-9a-f]{8}|[0-9a-f]{17})(?![0-9A-Za-z]))`,
    String.raw`(?<md5>(?<![0-9A-Za-z])[0-9a-f]{32}(?![0-9A-Za-z]))`,
    String.raw`(?<v6>(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?:/(?<v6len>\d{1,3}))?(?![0-9A-Za-z:]|\.\d))`,
    String.raw`(?<v4>(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?:/(?<v4len>\d{1,2}))?(?![0-9]|\.\d))`,
    String.raw`(?<account>(?<![0-9A-Za-z.])\d{12}(?![0-9A-Za-z]|\.\d))`,
  ].join('|'),
  'g',
);

/** JSON keys whose values are AS numbers or AS paths (AWS config, BGP log records, finding stats). */
const TAG_LIST_KEY = /^(tags|tag_?set|tag_?list)$/i;
const ASN_KEY = /^(bgp_?asn|asn|amazon_?side_?asn|peer_?asn|customer_?gateway_?asn|as_?path|previous_?as_?path)$/i;

export type TokenKind = 'ip' | 'id' | 'account' | 'finding' | 'md5' | 'path';

/** The identifying values in `text`, normalised (addresses without prefix length, IPv6 canonical). */
export function tokensOf(text: string): { kind: TokenKind; value: string; index: number; length: number }[] {
  const out: { kind: TokenKind; value: string; index: number; length: number }[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const g = m.groups!;
    const at = { index: m.index, length: m[0].length };
    if (g.s3 || g.path) out.push({ kind: 'path', value: m[0], ...at });
    else if (g.host) {
      const a = [g.h1, g.h2, g.h3, g.h4].join('.');
      if (isIPv4(a)) out.push({ kind: 'ip', value: a, ...at });
    } else if (g.finding) out.push({ kind: 'finding', value: m[0], ...at });
    else if (g.awsid) out.push({ kind: 'id', value: m[0], ...at });
    else if (g.md5) out.push({ kind: 'md5', value: m[0], ...at });
    else if (g.v6) {
      const a = g.v6len !== undefined ? m[0].slice(0, m[0].lastIndexOf('/')) : m[0];
      if (isIPv6(a)) out.push({ kind: 'ip', value: v6Text(v6Bits(a)), ...at });
    } else if (g.v4) {
      const a = g.v4len !== undefined ? m[0].slice(0, m[0].lastIndexOf('/')) : m[0];
      if (isIPv4(a)) out.push({ kind: 'ip', value: a, ...at });
    } else if (g.account) out.push({ kind: 'account', value: m[0], ...at });
  }
  return out;
}

export class Pseudonymizer {
  private readonly memo = new Map<string, number>();
  private readonly cache = new Map<string, string>();
  /** Every identifying value seen in the input (normalised) and every pseudonym produced. */
  readonly originals = new Set<string>();
  readonly images = new Set<string>();

  constructor(private readonly key: Buffer) {}

  private prf(tag: string): number {
    let v = this.memo.get(tag);
    if (v === undefined) {
      v = createHmac('sha256', this.key).update(tag).digest()[0]! & 1;
      this.memo.set(tag, v);
    }
    return v;
  }

  private hex(tag: string, len: number): string {
    let out = '';
    for (let i = 0; out.length < len; i++) out += createHmac('sha256', this.key).update(`${tag}#${i}`).digest('hex');
    return out.slice(0, len);
  }

  private permute(n: bigint, width: number, blocks: Block[]): bigint {
    const cls = classOf(n, width, blocks);
    if (cls?.fixed) return n;
    let out = 0n;
    for (let i = 0; i < width; i++) {
      const prefix = i === 0 ? 0n : n >> BigInt(width - i);
      const bit = (n >> BigInt(width - 1 - i)) & 1n;
      // Flip only where the node's subtree holds no block boundary below it (it is all one class).
      let mixed = false;
      for (const b of blocks) {
        if (b.len > i && b.bits >> BigInt(b.len - i) === prefix) {
          mixed = true;
          break;
        }
      }
      const flip = mixed ? 0n : BigInt(this.prf(`${width}|${i}|${prefix.toString(16)}`));
      out = (out << 1n) | (bit ^ flip);
    }
    return out;
  }

  private note(original: string, image: string): string {
    const img = image.includes(':') && isIPv6(image) ? v6Text(v6Bits(image)) : image;
    if (original !== img) {
      this.originals.add(original);
      this.images.add(img);
    }
    return image;
  }

  ipv4(a: string): string {
    const n = v4Bits(a);
    const out = v4Text(this.permute(n, 32, V4_BLOCKS));
    return this.note(a, out);
  }

  ipv6(a: string): string {
    const n = v6Bits(a);
    const canon = v6Text(n);
    // IPv4-mapped addresses follow the IPv4 mapping, so ::ffff:10.0.0.1 and 10.0.0.1 stay the same host.
    if (n >> 32n === 0xffffn) return this.note(canon, `::ffff:${this.ipv4(v4Text(n & 0xffffffffn))}`);
    const out = v6Text(this.permute(n, 128, V6_BLOCKS));
    return this.note(canon, out);
  }

  ip(a: string): string {
    return isIPv4(a) ? this.ipv4(a) : this.ipv6(a);
  }

  awsId(prefix: string, hex: string): string {
    return this.note(`${prefix}-${hex}`, `${prefix}-${this.hex(`id|${prefix}|${hex}`, hex.length)}`);
  }

  account(digits: string): string {
    const h = BigInt(`0x${this.hex(`acct|${digits}`, 24)}`) % 10n ** 12n;
    return this.note(digits, h.toString().padStart(12, '0'));
  }

  findingId(kind: string, id: string): string {
    return this.note(id, `${kind}-${this.hex(`finding|${id}`, 12)}`);
  }

  md5(h: string): string {
    return this.note(h, this.hex(`md5|${h}`, 32));
  }

  /**
   * Public AS numbers identify an organisation; they map to other public AS numbers of the same
   * width (consistently). Private, documentation and reserved ones (64496–65535, 4200000000+, 0,
   * 23456) stay: they identify nothing and analysis may rely on them being private.
   */
  asn(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n === 23456 || (n >= 64496 && n <= 65535) || n >= 4_200_000_000) return n;
    const h = BigInt(`0x${this.hex(`asn|${n}`, 16)}`);
    const out = n <= 64495 ? 1 + Number(h % 64495n) : 65536 + Number(h % BigInt(4_200_000_000 - 65536));
    this.note(String(n), String(out));
    return out;
  }

  /** A free-form name (a tag value, an ECS service name): `name-` and keyed hex. */
  name(text: string): string {
    if (text === '' || /^name-[0-9a-f]{8}$/.test(text)) return text;
    return this.note(text, `name-${this.hex(`name|${text}`, 8)}`);
  }

  /** An ARN: account and IDs as everywhere, and each name in its resource part ('service/prod-cluster/payments'). */
  arn(text: string): string {
    const m = /^(arn:[^:]*:[^:]*:[^:]*:[^:]*:)([^/:]+)([/:])(.+)$/.exec(text);
    if (!m) return this.rewrite(text);
    const parts = m[4]!.split('/').map((seg) => {
      if (tokensOf(seg).some((t) => t.index === 0 && t.length === seg.length)) return this.rewrite(seg);
      const rev = /^(.+?)(:\d+)$/.exec(seg); // task-definition/checkout-api:7 keeps its revision
      return rev ? this.name(rev[1]!) + rev[2] : this.name(seg);
    });
    return `${this.rewrite(m[1]!)}${m[2]}${m[3]}${parts.join('/')}`;
  }

  /** An AS path ('7018 65010 {64512,3356}'): every AS number in it mapped. */
  asPath(text: string): string {
    return text.replace(/\d+/g, (d) => String(this.asn(Number(d))));
  }

  /** A JSON document with AS numbers under ASN-like keys mapped, then every token rewritten. */
  json(text: string): string {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return this.rewrite(text);
    }
    // Re-serialise only when an AS number changed: JSON.parse would round 64-bit numbers elsewhere.
    let changed = false;
    const walk = (v: unknown, key: string): unknown => {
      if (Array.isArray(v)) return v.map((x) => walk(x, key));
      if (v && typeof v === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
        // A tag ({"Key": "Name", "Value": "acme-prod-vpn"} under Tags or TagSet): the value is a name someone chose.
        if (TAG_LIST_KEY.test(key) && typeof out.Value === 'string' && 'Key' in out) {
          const named = this.name(out.Value);
          if (named !== out.Value) {
            out.Value = named;
            changed = true;
          }
        }
        return out;
      }
      if (ASN_KEY.test(key)) {
        const m = typeof v === 'number' ? this.asn(v) : typeof v === 'string' && /^[\d\s{},]+$/.test(v) ? this.asPath(v) : v;
        if (m !== v) changed = true;
        return m;
      }
      return v;
    };
    const mapped = walk(doc, '');
    return this.rewrite(changed ? JSON.stringify(mapped) : text);
  }

  /** `text` with every identifying token replaced. */
  rewrite(text: string): string {
    if (text.length < 3) return text;
    const hit = this.cache.get(text);
    if (hit !== undefined) return hit;
    const out = text.replace(TOKEN_RE, (...args) => {
      const m = args[0] as string;
      const g = args[args.length - 1] as Record<string, string | undefined>;
      if (g.s3) return this.rewrite(g.s3base!);
      if (g.path) return this.rewrite(g.pathbase!);
      if (g.host) {
        const a = [g.h1, g.h2, g.h3, g.h4].join('.');
        return isIPv4(a) ? `ip-${this.ipv4(a).replace(/\./g, '-')}` : m;
      }
      if (g.finding) return this.findingId(g.fkind!, m);
      if (g.awsid) return this.awsId(g.idp!, g.idhex!);
      if (g.md5) return this.md5(m);
      if (g.v6) {
        const slash = g.v6len !== undefined ? m.lastIndexOf('/') : -1;
        const a = slash >= 0 ? m.slice(0, slash) : m;
        if (!isIPv6(a) || (slash >= 0 && Number(g.v6len) > 128)) return m;
        return this.ipv6(a) + (slash >= 0 ? m.slice(slash) : '');
      }
      if (g.v4) {
        const slash = g.v4len !== undefined ? m.lastIndexOf('/') : -1;
        const a = slash >= 0 ? m.slice(0, slash) : m;
        if (!isIPv4(a) || (slash >= 0 && Number(g.v4len) > 32)) return m;
        return this.ipv4(a) + (slash >= 0 ? m.slice(slash) : '');
      }
      if (g.account) return this.account(m);
      return m;
    });
    if (this.cache.size < 200_000) this.cache.set(text, out);
    return out;
  }

  /** Records the identifying tokens of a text that is dropped, not rewritten (for the leak check). */
  observe(text: string): void {
    this.rewrite(text);
  }

  /** Tokens of `text` that are original identifiers and not pseudonyms: what would leak. */
  leaks(text: string): string[] {
    const out: string[] = [];
    for (const t of tokensOf(text)) {
      if (t.kind === 'path') out.push(t.value);
      else if (this.originals.has(t.value) && !this.images.has(t.value)) out.push(t.value);
    }
    return out;
  }
}
