/**
 * Incident scenarios: each one changes the World over an interval, writes the VPN/BGP log events
 * that go with the change, and, after the simulation ran, states the findings a good analysis must
 * (or may) report, using what actually happened to connections.
 */
import type { FindingKind, FindingSubject, Severity } from '../../../src-main/shared/domain.ts';
import { Rng } from './prng.ts';
import type { Sim } from './traffic.ts';
import type { World } from './world.ts';
import { tunnelEvent, bgpStatus, routeStatus, type VpnLogEvent } from './vpn-writers.ts';
import { TUNNELS, VPN_ID, VPC_ATTACH, CGW_IP, ONPREM_CIDR, eni } from './topology.ts';

export type ScenarioKind = 'ecmp-asymmetric' | 'tunnel-outage' | 'sg-reject' | 'blackhole' | 'skipdata' | 'quiet';
export const SCENARIO_KINDS: readonly ScenarioKind[] = ['ecmp-asymmetric', 'tunnel-outage', 'sg-reject', 'blackhole', 'skipdata', 'quiet'];

export interface ScenarioSpec {
  kind: ScenarioKind;
  /** Minutes after the timeline start; default: after the previous scenario plus 15 minutes. */
  at?: number;
  /** Duration in minutes. */
  minutes?: number;
  /** sg-reject: 'sg' (default) or 'nacl'. */
  variant?: 'sg' | 'nacl';
  /** tunnel-outage: number of 300 s periods the tunnel is down (default 4). */
  periods?: number;
}

export interface ExpectedFinding {
  kind: FindingKind;
  subject: FindingSubject;
  start: string;
  end: string;
  required: boolean;
  severity: Severity;
  scenario: ScenarioKind;
  detail: Record<string, unknown>;
}

export interface PlacedScenario { kind: ScenarioKind; from: number; to: number; params: Record<string, unknown> }

const DEFAULT_MINUTES: Record<ScenarioKind, number> = { 'ecmp-asymmetric': 60, 'tunnel-outage': 20, 'sg-reject': 20, blackhole: 20, skipdata: 20, quiet: 0 };
const T1 = TUNNELS[0]!;
const T2 = TUNNELS[1]!;
const PREPENDED = '65010 65010 65010';

export function place(specs: ScenarioSpec[], start: number, end: number): PlacedScenario[] {
  const out: PlacedScenario[] = [];
  let cursor = start + 20 * 60;
  specs.forEach((s, i) => {
    if (s.kind === 'quiet') { out.push({ kind: 'quiet', from: start, to: end, params: {} }); return; }
    const from = s.at !== undefined ? start + s.at * 60 : cursor;
    let minutes = s.minutes ?? DEFAULT_MINUTES[s.kind];
    if (s.kind === 'tunnel-outage') minutes = s.minutes ?? (s.periods ?? 4) * 5;
    // A blackhole listed last stays until the config dump, so the dump shows the blackhole route.
    const to = s.kind === 'blackhole' && s.minutes === undefined && i === specs.length - 1 ? end : from + minutes * 60;
    if (from < start || to > end || from >= to) throw new Error(`scenario ${s.kind} (${(from - start) / 60}–${(to - start) / 60} min) does not fit in the timeline`);
    out.push({ kind: s.kind, from, to, params: { ...(s.variant ? { variant: s.variant } : {}), minutes: (to - from) / 60 } });
    cursor = to + 15 * 60;
  });
  return out;
}

/** Apply a placed scenario to the world and return its log events. */
export function apply(p: PlacedScenario, world: World, rng: Rng): VpnLogEvent[] {
  const ev: VpnLogEvent[] = [];
  const ms = (t: number) => Math.round(t * 1000);
  switch (p.kind) {
    case 'ecmp-asymmetric': {
      world.ecmp.push({ from: p.from, to: p.to });
      ev.push(routeStatus(ms(p.from) - 2300, 2, 'UPDATED', ONPREM_CIDR, '65010'));
      ev.push(routeStatus(ms(p.to) - 1800, 2, 'UPDATED', ONPREM_CIDR, PREPENDED));
      break;
    }
    case 'tunnel-outage': {
      world.tunnelDown[1].push({ from: p.from, to: p.to });
      ev.push(tunnelEvent(ms(p.from), 1, 'AWS tunnel DPD timed out after 3 retransmits', 'down', 'down'));
      ev.push(bgpStatus(ms(p.from) + 850, 1, 'DOWN', `AWS-side peer BGP session state has changed from Established to Idle with neighbor ${T1.cgwInsideIp}`));
      ev.push(routeStatus(ms(p.from) + 1210, 1, 'WITHDRAWN', ONPREM_CIDR, '65010'));
      for (let t = p.from + rng.int(40, 90); t < p.to - 60; t += rng.int(60, 150)) {
        ev.push(tunnelEvent(ms(t), 1, `AWS tunnel Timeout: deleting un-established Phase 1 IKE_SA with cgw: ${CGW_IP}`, 'down', 'down'));
      }
      ev.push(tunnelEvent(ms(p.to) - 9000, 1, 'AWS tunnel is sending request (id=0) for CREATE_CHILD_SA', 'negotiating', 'down'));
      ev.push(tunnelEvent(ms(p.to) - 4000, 1, 'AWS tunnel processed response (id=0) for CREATE_CHILD_SA', 'established', 'established'));
      ev.push(bgpStatus(ms(p.to) - 600, 1, 'UP', `AWS-side peer BGP session state has changed from OpenConfirm to Established with neighbor ${T1.cgwInsideIp}`));
      ev.push(routeStatus(ms(p.to) + 1400, 1, 'ADVERTISED', ONPREM_CIDR, '65010'));
      break;
    }
    case 'sg-reject':
      world.sg.push({ from: p.from, to: p.to, dst: eni('db-1').ip, port: 5432, srcPrefix: '172.16.20.', variant: (p.params.variant as 'sg' | 'nacl') ?? 'sg' });
      break;
    case 'blackhole':
      world.blackholes.push({ from: p.from, to: p.to, prefix: '172.16.20.0/24', ipPrefix: '172.16.20.' });
      break;
    case 'skipdata':
      world.gaps.push({ eni: 'web-1', mode: 'skipdata', from: p.from, to: p.from + 600 });
      world.gaps.push({ eni: 'web-2', mode: 'silent', from: p.from, to: p.from + 1200 });
      break;
    case 'quiet':
      break;
  }
  return ev;
}

/** Routine tunnel log noise present on every day: phase-2 rekeys about hourly on each tunnel. */
export function routineEvents(world: World, rng: Rng, start: number, end: number): VpnLogEvent[] {
  const ev: VpnLogEvent[] = [];
  for (const k of [1, 2] as const) {
    let id = rng.int(2, 40);
    for (let t = start + rng.int(300, 3000); t < end; t += rng.int(3060, 3540)) {
      if (!world.tunnelUp(k, t)) continue;
      ev.push(tunnelEvent(Math.round(t * 1000), k, `AWS tunnel is sending request (id=${id}) for CREATE_CHILD_SA`, 'established', 'rekeying'));
      ev.push(tunnelEvent(Math.round(t * 1000) + rng.int(80, 400), k, `AWS tunnel processed response (id=${id}) for CREATE_CHILD_SA`, 'established', 'established'));
      id++;
    }
  }
  return ev;
}

const iso = (t: number) => new Date(Math.round(t) * 1000).toISOString().replace('.000Z', 'Z');
const MIN_REQUIRED = 3;

function perService(sim: Sim, prefix: string, from: number, to: number): { server: string; port: number; count: number; first: number; last: number }[] {
  const out: { server: string; port: number; count: number; first: number; last: number }[] = [];
  const merged = new Map<string, { server: string; port: number; count: number; first: number; last: number }>();
  for (const [key, t] of sim.tallied(prefix, from, to)) {
    const [, server, port] = key.split('|');
    const k = `${server}|${port}`;
    const m = merged.get(k);
    if (m) { m.count += t.count; m.first = Math.min(m.first, t.first); m.last = Math.max(m.last, t.last); }
    else merged.set(k, { server: server!, port: Number(port), count: t.count, first: t.first, last: t.last });
  }
  for (const v of merged.values()) out.push(v);
  return out.sort((a, b) => a.server.localeCompare(b.server) || a.port - b.port);
}

/** Findings a correct analysis reports for this scenario, derived from what was simulated. */
export function expected(p: PlacedScenario, sim: Sim): ExpectedFinding[] {
  const base = { start: iso(p.from), end: iso(p.to), scenario: p.kind };
  const out: ExpectedFinding[] = [];
  const svcFindings = (kind: 'half-open' | 'syn-no-synack', prefix: string, required: boolean) => {
    for (const s of perService(sim, prefix, p.from, p.to + 300)) {
      out.push({
        ...base, kind, severity: 'warning', required: required && s.count >= MIN_REQUIRED,
        subject: { dst_addr: s.server, dst_port: s.port, protocol: 6 },
        detail: { connections: s.count, firstAffected: iso(s.first), lastAffected: iso(s.last) },
      });
    }
  };
  switch (p.kind) {
    case 'ecmp-asymmetric':
      out.push({ ...base, kind: 'route-change', severity: 'info', required: true, subject: { vpn_id: VPN_ID, tunnel_ip: T2.outsideIp }, detail: { prefix: ONPREM_CIDR, asPathBefore: PREPENDED, asPathAfter: '65010' } });
      out.push({ ...base, kind: 'ecmp-active', severity: 'info', required: true, subject: { vpn_id: VPN_ID }, detail: { tunnels: [T1.outsideIp, T2.outsideIp] } });
      out.push({ ...base, kind: 'asymmetric-return', severity: 'critical', required: true, subject: { vpn_id: VPN_ID, tunnel_ip: T2.outsideIp }, detail: { onpremSendsOn: T1.outsideIp, awsSendsOn: [T1.outsideIp, T2.outsideIp] } });
      svcFindings('half-open', 'half-open|', true);
      svcFindings('syn-no-synack', 'syn-no-synack|', true);
      break;
    case 'tunnel-outage':
      out.push({ ...base, kind: 'tunnel-down', severity: 'critical', required: true, subject: { vpn_id: VPN_ID, tunnel_ip: T1.outsideIp }, detail: { periods: Math.round((p.to - p.from) / 300) } });
      out.push({ ...base, kind: 'route-change', severity: 'info', required: true, subject: { vpn_id: VPN_ID, tunnel_ip: T1.outsideIp }, detail: { prefix: ONPREM_CIDR, withdrawn: iso(p.from), advertised: iso(p.to) } });
      break;
    case 'sg-reject': {
      const variant = (p.params.variant as string) ?? 'sg';
      const rejected = perService(sim, `${variant === 'nacl' ? 'nacl' : 'reject'}|${eni('db-1').ip}|5432|`, p.from, p.to + 300);
      const n = rejected.reduce((a, s) => a + s.count, 0);
      out.push({
        ...base, kind: 'reject-burst', severity: 'warning', required: n >= MIN_REQUIRED,
        subject: { dst_addr: eni('db-1').ip, dst_port: 5432, src_cidr: '172.16.20.0/24' },
        detail: { variant, rejectedConnections: n, rejectedDirection: variant === 'nacl' ? 'egress (response)' : 'ingress' },
      });
      svcFindings('syn-no-synack', `reject|${eni('db-1').ip}|5432|`, false);
      if (variant === 'nacl') svcFindings('half-open', `nacl|${eni('db-1').ip}|5432|`, false);
      break;
    }
    case 'blackhole': {
      const lost = sim.obs.filter((o) => o.lostBlackhole > 0 && o.t0 >= p.from && o.t0 < p.to).reduce((a, o) => a + o.lostBlackhole, 0);
      out.push({ ...base, kind: 'tgw-drop', severity: 'critical', required: lost > 0, subject: { attachment_id: VPC_ATTACH }, detail: { prefix: '172.16.20.0/24', reason: 'blackhole', packetsLost: lost } });
      svcFindings('half-open', 'half-open|', false);
      svcFindings('syn-no-synack', 'syn-no-synack|', false);
      break;
    }
    case 'skipdata':
      out.push({ ...base, end: iso(p.from + 600), kind: 'log-gap', severity: 'warning', required: true, subject: { interface_id: eni('web-1').id }, detail: { mode: 'SKIPDATA' } });
      out.push({ ...base, end: iso(p.from + 1200), kind: 'log-gap', severity: 'warning', required: true, subject: { interface_id: eni('web-2').id }, detail: { mode: 'no records while TGW logs show traffic' } });
      break;
    case 'quiet':
      break;
  }
  return out;
}
