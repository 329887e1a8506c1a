/**
 * Traffic simulation: sessions (Poisson arrivals, diurnal rate) are played minute by minute through
 * the network of topology.ts in the state World gives for that minute. Every packet direction is
 * recorded as an observation at each capture point it reaches; observations are aggregated into
 * flow-log records later (records.ts). Tunnel byte counters and truth tallies are kept on the way.
 */
import { Rng } from './prng.ts';
import { World } from './world.ts';
import { eniByIp, tgwEniFor, isOnprem, ENIS, ONPREM, eni, type Eni } from './topology.ts';

export type Point = string; // 'eni:<name>' | 'tgw:vpc' | 'tgw:vpn'

export interface Obs {
  point: Point;
  direction: 'ingress' | 'egress';
  t0: number;
  t1: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
  packets: number;
  bytes: number;
  flags: number;
  action: 'ACCEPT' | 'REJECT';
  lostBlackhole: number;
  lostNoRoute: number;
  /** For TGW records: the TGW ENI on the VPC side and whether the VPC side is the source. */
  vpcSide?: { tgwEni: Eni; isSource: boolean; dropped: boolean };
}

interface Hop { point: Point; direction: 'ingress' | 'egress'; action: 'ACCEPT' | 'REJECT'; lost?: 'blackhole' | 'noroute'; vpcSide?: Obs['vpcSide'] }
interface Leg { hops: Hop[]; delivered: boolean; tunnel?: { k: 1 | 2; dir: 'in' | 'out' }; cause?: string }

export interface Flow { src: string; dst: string; sport: number; dport: number; proto: number }

/** Tallies of what actually happened, for the ground truth. */
export interface Tally { count: number; first: number; last: number }

export class Sim {
  readonly obs: Obs[] = [];
  /** tunnel → 'in'|'out' → 300 s period start → bytes */
  readonly tunnelBytes = new Map<string, number>();
  /** What happened to connections (key = outcome|server|port|cause), with the time it happened. */
  readonly tallies: { key: string; t: number }[] = [];

  constructor(readonly world: World, readonly rng: Rng) {}

  tally(key: string, t: number): void {
    this.tallies.push({ key, t });
  }

  /** Tallies whose key starts with `prefix` and time is in [from, to), grouped by key. */
  tallied(prefix: string, from: number, to: number): Map<string, Tally> {
    const out = new Map<string, Tally>();
    for (const x of this.tallies) {
      if (!x.key.startsWith(prefix) || x.t < from || x.t >= to) continue;
      const y = out.get(x.key);
      if (y) { y.count++; y.first = Math.min(y.first, x.t); y.last = Math.max(y.last, x.t); }
      else out.set(x.key, { count: 1, first: x.t, last: x.t });
    }
    return out;
  }

  /** Path of one packet direction at time t. `newConn` = a SYN of a connection the SG has not tracked yet. */
  leg(f: Flow, t: number, newConn: boolean, isReply: boolean): Leg {
    const w = this.world;
    const srcEni = eniByIp(f.src);
    const dstEni = eniByIp(f.dst);
    const hops: Hop[] = [];
    if (srcEni && dstEni) {
      hops.push({ point: `eni:${srcEni.name}`, direction: 'egress', action: 'ACCEPT' });
      hops.push({ point: `eni:${dstEni.name}`, direction: 'ingress', action: 'ACCEPT' });
      return { hops, delivered: true };
    }
    if (isOnprem(f.src) && dstEni) {
      const k = w.onpremTunnel(t);
      if (k === null) return { hops, delivered: false, cause: 'no-tunnel' };
      const tg = tgwEniFor(dstEni);
      hops.push({ point: 'tgw:vpn', direction: 'ingress', action: 'ACCEPT', vpcSide: { tgwEni: tg, isSource: false, dropped: false } });
      hops.push({ point: 'tgw:vpc', direction: 'egress', action: 'ACCEPT', vpcSide: { tgwEni: tg, isSource: false, dropped: false } });
      hops.push({ point: `eni:${tg.name}`, direction: 'egress', action: 'ACCEPT' });
      const rule = w.sgRule(f.dst, f.dport, f.src, t);
      if (rule && rule.variant === 'sg' && newConn && !isReply) {
        hops.push({ point: `eni:${dstEni.name}`, direction: 'ingress', action: 'REJECT' });
        return { hops, delivered: false, tunnel: { k, dir: 'in' }, cause: 'sg' };
      }
      hops.push({ point: `eni:${dstEni.name}`, direction: 'ingress', action: 'ACCEPT' });
      return { hops, delivered: true, tunnel: { k, dir: 'in' } };
    }
    if (srcEni && isOnprem(f.dst)) {
      const rule = w.sgRule(f.src, f.sport, f.dst, t);
      if (rule && rule.variant === 'nacl' && isReply) {
        hops.push({ point: `eni:${srcEni.name}`, direction: 'egress', action: 'REJECT' });
        return { hops, delivered: false, cause: 'nacl' };
      }
      const tg = tgwEniFor(srcEni);
      hops.push({ point: `eni:${srcEni.name}`, direction: 'egress', action: 'ACCEPT' });
      hops.push({ point: `eni:${tg.name}`, direction: 'ingress', action: 'ACCEPT' });
      if (w.blackholed(f.dst, t)) {
        hops.push({ point: 'tgw:vpc', direction: 'ingress', action: 'ACCEPT', lost: 'blackhole', vpcSide: { tgwEni: tg, isSource: true, dropped: true } });
        return { hops, delivered: false, cause: 'blackhole' };
      }
      const k = w.awsTunnel(`${f.src}|${f.dst}|${f.sport}|${f.dport}|${f.proto}`, t);
      if (k === null) {
        hops.push({ point: 'tgw:vpc', direction: 'ingress', action: 'ACCEPT', lost: 'noroute', vpcSide: { tgwEni: tg, isSource: true, dropped: true } });
        return { hops, delivered: false, cause: 'noroute' };
      }
      hops.push({ point: 'tgw:vpc', direction: 'ingress', action: 'ACCEPT', vpcSide: { tgwEni: tg, isSource: true, dropped: false } });
      hops.push({ point: 'tgw:vpn', direction: 'egress', action: 'ACCEPT', vpcSide: { tgwEni: tg, isSource: true, dropped: false } });
      // The on-prem firewall drops what arrives on a tunnel it does not route 10.10/16 through (strict RPF / state).
      const delivered = k === w.onpremTunnel(t);
      return { hops, delivered, tunnel: { k, dir: 'out' }, cause: delivered ? undefined : 'cgw-asymmetric' };
    }
    throw new Error(`flow ${f.src} → ${f.dst} is outside the model`);
  }

  emit(leg: Leg, f: Flow, t0: number, t1: number, packets: number, bytes: number, flags: number): void {
    if (packets <= 0) return;
    for (const h of leg.hops) {
      this.obs.push({
        point: h.point, direction: h.direction, t0, t1, src: f.src, dst: f.dst, sport: f.sport, dport: f.dport, proto: f.proto,
        packets, bytes, flags, action: h.action,
        lostBlackhole: h.lost === 'blackhole' ? packets : 0, lostNoRoute: h.lost === 'noroute' ? packets : 0,
        vpcSide: h.vpcSide,
      });
    }
    if (leg.tunnel) {
      const p = Math.floor(t0 / 300) * 300;
      const key = `${leg.tunnel.k}|${leg.tunnel.dir}|${p}`;
      this.tunnelBytes.set(key, (this.tunnelBytes.get(key) ?? 0) + bytes);
    }
  }
}

// ---- sessions ----------------------------------------------------------------------------------

export interface ServiceDef {
  name: string;
  /** Mean new sessions per minute at full diurnal load (before scale). */
  perMinute: number;
  proto: 6 | 17 | 1;
  client: (r: Rng) => string;
  server: (r: Rng) => string;
  port: number;
  /** Session length in seconds. */
  duration: (r: Rng) => number;
  /** Bytes per second client→server and server→client while established. */
  c2s: number;
  s2c: number;
  clientOs: 'linux' | 'windows';
  /** Retry a failed connect with a new source port (applications do). */
  retries: number;
}

const clients = (r: Rng) => `${ONPREM.clientPrefix}${r.int(20, 180)}`;

export const SERVICES: ServiceDef[] = [
  { name: 'web-1 https', perMinute: 0.9, proto: 6, client: clients, server: () => eni('web-1').ip, port: 443, duration: (r) => r.logNormal(40, 0.9), c2s: 300, s2c: 9000, clientOs: 'windows', retries: 2 },
  { name: 'web-2 https', perMinute: 0.7, proto: 6, client: clients, server: () => eni('web-2').ip, port: 443, duration: (r) => r.logNormal(40, 0.9), c2s: 300, s2c: 9000, clientOs: 'windows', retries: 2 },
  { name: 'db-1 postgres', perMinute: 0.25, proto: 6, client: (r) => r.pick(ONPREM.dbClients), server: () => eni('db-1').ip, port: 5432, duration: (r) => r.logNormal(600, 0.8), c2s: 700, s2c: 2500, clientOs: 'linux', retries: 4 },
  { name: 'bastion ssh', perMinute: 0.03, proto: 6, client: () => ONPREM.admin, server: () => eni('bastion').ip, port: 22, duration: (r) => r.logNormal(1200, 0.6), c2s: 40, s2c: 400, clientOs: 'linux', retries: 1 },
  { name: 'dns', perMinute: 0.8, proto: 17, client: () => ONPREM.resolver, server: () => eni('dns-1').ip, port: 53, duration: () => 0.05, c2s: 0, s2c: 0, clientOs: 'linux', retries: 2 },
  { name: 'app-1 → on-prem https', perMinute: 0.6, proto: 6, client: () => eni('app-1').ip, server: () => ONPREM.https, port: 443, duration: (r) => r.logNormal(20, 0.8), c2s: 1500, s2c: 4000, clientOs: 'linux', retries: 2 },
  { name: 'web → on-prem ldap', perMinute: 0.35, proto: 6, client: (r) => r.pick([eni('web-1').ip, eni('web-2').ip]), server: () => ONPREM.ldap, port: 389, duration: (r) => r.logNormal(90, 0.7), c2s: 120, s2c: 250, clientOs: 'linux', retries: 2 },
  { name: 'web → db intra-VPC', perMinute: 0.3, proto: 6, client: (r) => r.pick([eni('web-1').ip, eni('web-2').ip]), server: () => eni('db-1').ip, port: 5432, duration: (r) => r.logNormal(300, 0.7), c2s: 500, s2c: 2000, clientOs: 'linux', retries: 1 },
  { name: 'ipv6 health', perMinute: 0.5, proto: 6, client: () => eni('web-2').ipv6!, server: () => eni('web-1').ipv6!, port: 8080, duration: () => 0.2, c2s: 0, s2c: 0, clientOs: 'linux', retries: 0 },
  { name: 'scanner rdp', perMinute: 0.04, proto: 6, client: () => ONPREM.scanner, server: () => eni('bastion').ip, port: 3389, duration: () => 0.1, c2s: 0, s2c: 0, clientOs: 'linux', retries: 0 },
];

/** Load factor by UTC hour: business hours on the US east coast peak around 16:00 UTC. */
export function diurnal(t: number): number {
  const h = ((t / 3600) % 24 + 24) % 24;
  return 0.45 + 0.55 * 0.5 * (1 - Math.cos((2 * Math.PI * (h - 4)) / 24));
}

const SYN_TIMES = { linux: [0, 1, 3, 7, 15, 31], windows: [0, 3, 9] } as const;
const SYNACK_TIMES = [0, 1, 3, 7, 15];

function ephemeral(r: Rng, os: 'linux' | 'windows'): number {
  return os === 'linux' ? r.int(32768, 60999) : r.int(49152, 65535);
}

/** Run every service over [start, end). `scale` multiplies arrival rates. */
export function simulateSessions(sim: Sim, start: number, end: number, scale: number): void {
  for (const svc of SERVICES) {
    const r = sim.rng.fork(svc.name);
    let t = start + r.exp(60 / (svc.perMinute * scale));
    while (t < end) {
      playSession(sim, r, svc, t, end, svc.retries);
      // Thinning gives a non-homogeneous Poisson process following the diurnal curve.
      do t += r.exp(60 / (svc.perMinute * scale));
      while (t < end && !r.chance(diurnal(t)));
    }
  }
  continuousFlows(sim, start, end);
}

function playSession(sim: Sim, r: Rng, svc: ServiceDef, t: number, end: number, retriesLeft: number): void {
  const client = svc.client(r);
  const server = svc.server(r);
  const f: Flow = { src: client, dst: server, sport: svc.proto === 1 ? 0 : ephemeral(r, svc.clientOs), dport: svc.port, proto: svc.proto };
  const rev: Flow = { src: server, dst: client, sport: f.dport, dport: f.sport, proto: f.proto };
  if (svc.proto === 17) return playDns(sim, r, f, rev, t, retriesLeft, svc, end);
  const fwd = sim.leg(f, t, true, false);
  const svcKey = `${server}|${svc.port}`;
  const synTimes = SYN_TIMES[svc.clientOs];
  if (!fwd.delivered) {
    // SYN never reaches the server (or is rejected at its ENI): the client retransmits, nothing comes back.
    sim.emit(fwd, f, t, t + synTimes[synTimes.length - 1]!, synTimes.length, synTimes.length * synSize(svc.clientOs), 2);
    sim.tally(`${fwd.cause === "sg" ? "reject" : "syn-no-synack"}|${svcKey}|${fwd.cause}`, t);
    retry(sim, r, svc, t + synTimes[synTimes.length - 1]! + r.int(2, 20), end, retriesLeft);
    return;
  }
  const back = sim.leg(rev, t + 0.03, true, true);
  if (!back.delivered) {
    // The server answers but the SYN-ACK is lost on the way back: client keeps retransmitting its SYN.
    sim.emit(fwd, f, t, t + synTimes[synTimes.length - 1]!, synTimes.length, synTimes.length * synSize(svc.clientOs), 2);
    sim.emit(back, rev, t + 0.03, t + 0.03 + SYNACK_TIMES[SYNACK_TIMES.length - 1]!, SYNACK_TIMES.length, SYNACK_TIMES.length * 60, 18);
    sim.tally(`${back.cause === 'nacl' ? 'nacl' : 'half-open'}|${svcKey}|${back.cause}`, t);
    retry(sim, r, svc, t + synTimes[synTimes.length - 1]! + r.int(2, 20), end, retriesLeft);
    return;
  }
  sim.tally(`ok|${svcKey}`, t);
  const dur = Math.max(0.05, svc.duration(r));
  const stop = Math.min(t + dur, end + 600);
  let m = Math.floor(t / 60) * 60;
  let stalled = 0;
  for (; m < stop; m += 60) {
    const a = Math.max(t, m);
    const b = Math.min(stop, m + 60);
    const first = m <= t;
    const last = stop <= m + 60;
    const fl = sim.leg(f, a, false, false);
    const bl = sim.leg(rev, a, false, true);
    const span = Math.max(0.05, b - a);
    if (!first && (!fl.delivered || !bl.delivered)) {
      // Stalled: retransmissions only, then the client gives up with a reset.
      stalled++;
      const giveUp = stalled >= 2 || last;
      sim.emit(fl, f, a + r.next() * 5, b - r.next() * 5, r.int(3, 7), r.int(3, 7) * 66, giveUp ? 4 : 0);
      sim.emit(bl, rev, a + r.next() * 5, b - r.next() * 5, r.int(3, 6), r.int(3, 6) * 1420, 0);
      sim.tally(`stall|${svcKey}|${!bl.delivered ? bl.cause : fl.cause}`, a);
      if (giveUp) {
        retry(sim, r, svc, b + r.int(1, 10), end, retriesLeft);
        return;
      }
      continue;
    }
    stalled = 0;
    const s2cBytes = Math.round(svc.s2c * span * (0.5 + r.next()));
    const c2sData = Math.round(svc.c2s * span * (0.5 + r.next()));
    const s2cPk = Math.max(first ? 1 : 1, Math.ceil(s2cBytes / 1380)) + (first ? 1 : 0) + (last ? 1 : 0);
    const ackPk = Math.ceil(s2cPk / 2);
    const c2sPk = Math.max(1, Math.ceil(c2sData / 600)) + ackPk + (first ? 1 : 0) + (last ? 1 : 0);
    const c2sBytes = c2sData + ackPk * 52 + (first ? synSize(svc.clientOs) : 0) + (last ? 52 : 0);
    const fin = last ? 1 : 0;
    sim.emit(fl, f, a, b, c2sPk, c2sBytes, (first ? 2 : 0) | fin);
    sim.emit(bl, rev, a + 0.03, b, s2cPk, s2cBytes + s2cPk * 52 + (first ? 8 : 0), (first ? 18 : 0) | fin);
  }
}

function retry(sim: Sim, r: Rng, svc: ServiceDef, t: number, end: number, retriesLeft: number): void {
  if (retriesLeft > 0 && t < end) playSession(sim, r, svc, t, end, retriesLeft - 1);
}

function playDns(sim: Sim, r: Rng, f: Flow, rev: Flow, t: number, retriesLeft: number, svc: ServiceDef, end: number): void {
  const q = sim.leg(f, t, false, false);
  const qBytes = r.int(60, 90);
  if (!q.delivered) {
    sim.emit(q, f, t, t, 1, qBytes, 0);
    return;
  }
  const a = sim.leg(rev, t + 0.002, false, true);
  const tries = a.delivered ? 1 : 3;
  sim.emit(q, f, t, t + (tries - 1) * 2, tries, qBytes * tries, 0);
  sim.emit(a, rev, t + 0.002, t + 0.002 + (tries - 1) * 2, tries, r.int(90, 300) * tries, 0);
  if (!a.delivered) sim.tally(`udp-lost|${f.dst}|${f.dport}|${a.cause}`, t);
  void retriesLeft; void svc; void end;
}

function synSize(os: 'linux' | 'windows'): number {
  return os === 'linux' ? 60 : 52;
}

/** Flows that never stop: ICMP monitoring of web-1 and syslog from web-1 to on-prem. */
function continuousFlows(sim: Sim, start: number, end: number): void {
  const r = sim.rng.fork('continuous');
  const ping: Flow = { src: ONPREM.monitor, dst: eni('web-1').ip, sport: 0, dport: 0, proto: 1 };
  const pong: Flow = { src: ping.dst, dst: ping.src, sport: 0, dport: 0, proto: 1 };
  const syslog: Flow = { src: eni('web-1').ip, dst: ONPREM.syslog, sport: 41234, dport: 514, proto: 17 };
  for (let m = Math.floor(start / 60) * 60; m < end; m += 60) {
    const a = Math.max(start, m) + r.next() * 2;
    const b = Math.min(end, m + 60) - r.next() * 2;
    const q = sim.leg(ping, a, false, false);
    const n = 6;
    sim.emit(q, ping, a, b, n, n * 84, 0);
    if (q.delivered) {
      const p = sim.leg(pong, a, false, true);
      sim.emit(p, pong, a + 0.01, b, n, n * 84, 0);
      if (!p.delivered) sim.tally(`icmp-lost|${ping.dst}|${p.cause}`, a);
    }
    const lines = r.int(8, 40);
    sim.emit(sim.leg(syslog, a, false, false), syslog, a, b, lines, lines * r.int(120, 220), 0);
  }
  void ENIS;
}
