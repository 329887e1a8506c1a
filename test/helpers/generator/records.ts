/**
 * Observations → flow-log records: aggregation per capture point and capture window (60 or 600 s,
 * per-ENI phase), start/end lag, address rewriting on TGW ENIs, NODATA/SKIPDATA and delivery gaps.
 */
import { Rng, hash32 } from './prng.ts';
import type { Obs } from './traffic.ts';
import type { World } from './world.ts';
import {
  ACCOUNT, REGION, VPC_ID, TGW_ID, VPC_ATTACH, VPN_ATTACH, SUBNETS, ENIS, eni, eniByIp, flowLogFor, type Eni,
} from './topology.ts';

/** A record as field name → text value; missing fields are written as '-'. */
export type Rec = Record<string, string>;

export interface FlowRecords {
  /** ENI name → records (in time order). */
  vpc: Map<string, Rec[]>;
  tgw: Rec[];
}

interface Agg { o: Obs; t0: number; t1: number; packets: number; bytes: number; flags: number; lostB: number; lostN: number; win: number }

function windowOf(point: string): { size: number; phase: number } {
  if (point.startsWith('eni:')) {
    const e = eni(point.slice(4));
    const size = flowLogFor(e.name).window;
    return { size, phase: hash32(e.id) % size };
  }
  return { size: 60, phase: hash32(point) % 60 };
}

export function buildRecords(obs: Obs[], world: World, rng: Rng, start: number, end: number): FlowRecords {
  const aggs = new Map<string, Agg>();
  for (const o of obs) {
    const { size, phase } = windowOf(o.point);
    const win = Math.floor((o.t0 - phase) / size);
    const key = `${o.point}|${win}|${o.direction}|${o.src}|${o.dst}|${o.sport}|${o.dport}|${o.proto}|${o.action}`;
    const a = aggs.get(key);
    if (a) {
      a.t0 = Math.min(a.t0, o.t0); a.t1 = Math.max(a.t1, o.t1);
      a.packets += o.packets; a.bytes += o.bytes; a.flags |= o.flags; a.lostB += o.lostBlackhole; a.lostN += o.lostNoRoute;
    } else {
      aggs.set(key, { o, t0: o.t0, t1: o.t1, packets: o.packets, bytes: o.bytes, flags: o.flags, lostB: o.lostBlackhole, lostN: o.lostNoRoute, win });
    }
  }
  const r = rng.fork('records');
  const lag = () => (r.chance(0.9) ? r.int(0, 6) : r.int(7, 60));
  const vpc = new Map<string, Rec[]>(ENIS.map((e) => [e.name, [] as Rec[]]));
  const tgw: Rec[] = [];
  const seenWin = new Map<string, Set<number>>();
  for (const a of aggs.values()) {
    const s = Math.floor(a.t0) + lag();
    const e = Math.max(s, Math.floor(a.t1) + lag());
    if (a.o.point.startsWith('eni:')) {
      const en = eni(a.o.point.slice(4));
      const gap = world.gap(en.name, a.t0);
      if (gap?.mode === 'silent') continue;
      if (gap?.mode === 'skipdata' && r.chance(0.7)) continue;
      vpc.get(en.name)!.push(vpcRecord(en, a, s, e));
      if (!seenWin.has(en.name)) seenWin.set(en.name, new Set());
      seenWin.get(en.name)!.add(a.win);
    } else {
      tgw.push(tgwRecord(a, s, e));
    }
  }
  // NODATA for idle windows, SKIPDATA for windows inside a skipdata gap.
  for (const en of ENIS) {
    const { size, phase } = windowOf(`eni:${en.name}`);
    const seen = seenWin.get(en.name) ?? new Set<number>();
    for (let w = Math.floor((start - phase) / size); w * size + phase < end; w++) {
      const ws = w * size + phase;
      if (ws < start) continue;
      const gap = world.gap(en.name, ws);
      if (gap?.mode === 'silent') continue;
      if (gap?.mode === 'skipdata') vpc.get(en.name)!.push(statusRecord(en, ws, ws + size - r.int(1, 10), 'SKIPDATA'));
      else if (!seen.has(w) && !en.tgw) vpc.get(en.name)!.push(statusRecord(en, ws, ws + size - r.int(1, 30), 'NODATA'));
    }
  }
  for (const list of vpc.values()) list.sort((x, y) => Number(x.start) - Number(y.start) || Number(x.end) - Number(y.end));
  tgw.sort((x, y) => Number(x.start) - Number(y.start) || Number(x.end) - Number(y.end));
  return { vpc, tgw };
}

function vpcRecord(en: Eni, a: Agg, s: number, e: number): Rec {
  const o = a.o;
  const local = (ip: string) => eniByIp(ip) !== undefined;
  // On a TGW attachment ENI the far side of the packet is shown as the ENI's own primary IP.
  const srcaddr = en.tgw && !local(o.src) ? en.ip : o.src;
  const dstaddr = en.tgw && !local(o.dst) ? en.ip : o.dst;
  const sub = SUBNETS[en.subnet];
  return {
    'account-id': ACCOUNT, 'interface-id': en.id, srcaddr, dstaddr, srcport: String(o.sport), dstport: String(o.dport),
    protocol: String(o.proto), packets: String(a.packets), bytes: String(a.bytes), start: String(s), end: String(e),
    action: o.action, 'log-status': 'OK', 'vpc-id': VPC_ID, 'subnet-id': sub.id, 'instance-id': en.instanceId,
    'tcp-flags': String(o.proto === 6 ? a.flags : 0), type: o.src.includes(':') ? 'IPv6' : 'IPv4',
    'pkt-srcaddr': o.src, 'pkt-dstaddr': o.dst, region: REGION, 'az-id': sub.az,
    'flow-direction': o.direction, 'traffic-path': o.direction === 'egress' ? '1' : '-',
  };
}

function statusRecord(en: Eni, s: number, e: number, status: 'NODATA' | 'SKIPDATA'): Rec {
  const sub = SUBNETS[en.subnet];
  return {
    'account-id': ACCOUNT, 'interface-id': en.id, start: String(s), end: String(e), 'log-status': status,
    'vpc-id': VPC_ID, 'subnet-id': sub.id, 'instance-id': en.instanceId, region: REGION, 'az-id': sub.az,
  };
}

function tgwRecord(a: Agg, s: number, e: number): Rec {
  const o = a.o;
  const side = o.vpcSide!;
  const vpn = o.point === 'tgw:vpn';
  const tg = side.tgwEni;
  const sub = SUBNETS[tg.subnet];
  const vpcFields = { acct: ACCOUNT, vpc: VPC_ID, subnet: sub.id, eni: tg.id, az: sub.az };
  const src = side.isSource ? vpcFields : null;
  const dst = side.isSource ? null : vpcFields;
  const pair = side.dropped ? '-' : vpn ? VPC_ATTACH : VPN_ATTACH;
  return {
    'resource-type': 'TransitGateway', 'account-id': ACCOUNT, 'tgw-id': TGW_ID, 'tgw-attachment-id': vpn ? VPN_ATTACH : VPC_ATTACH,
    'tgw-src-vpc-account-id': src?.acct ?? '-', 'tgw-dst-vpc-account-id': dst?.acct ?? '-',
    'tgw-src-vpc-id': src?.vpc ?? '-', 'tgw-dst-vpc-id': dst?.vpc ?? '-',
    'tgw-src-subnet-id': src?.subnet ?? '-', 'tgw-dst-subnet-id': dst?.subnet ?? '-',
    'tgw-src-eni': src?.eni ?? '-', 'tgw-dst-eni': dst?.eni ?? '-',
    'tgw-src-az-id': src?.az ?? '-', 'tgw-dst-az-id': dst?.az ?? '-',
    'tgw-pair-attachment-id': pair,
    srcaddr: o.src, dstaddr: o.dst, srcport: String(o.sport), dstport: String(o.dport), protocol: String(o.proto),
    packets: String(a.packets), bytes: String(a.bytes), start: String(s), end: String(e), 'log-status': 'OK',
    type: o.src.includes(':') ? 'IPv6' : 'IPv4',
    'packets-lost-no-route': String(a.lostN), 'packets-lost-blackhole': String(a.lostB),
    'packets-lost-mtu-exceeded': '0', 'packets-lost-ttl-expired': '0',
    'tcp-flags': String(o.proto === 6 ? a.flags : 0), region: REGION, 'flow-direction': o.direction,
  };
}

/** One line in the given field order; absent values are '-'. */
export function formatLine(rec: Rec, fields: readonly string[], version: number): string {
  let s = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const v = f === 'version' ? String(version) : rec[f] ?? '-';
    s += i === 0 ? v : ' ' + v;
  }
  return s;
}
