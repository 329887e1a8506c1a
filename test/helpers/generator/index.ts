/**
 * Public entry points of the export generator. See README.md for the model, the truth format and
 * how each incident shows in each source.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from './prng.ts';
import { World } from './world.ts';
import { Sim, simulateSessions } from './traffic.ts';
import { buildRecords } from './records.ts';
import { Out, type WrittenFile } from './out.ts';
import { writeFlowLogs, type FlowWriteOptions } from './flow-writers.ts';
import { writeVpnLogs, writeMetrics, metricSeries } from './vpn-writers.ts';
import { writeConfig } from './config-writers.ts';
import { place, apply, routineEvents, expected, type ScenarioKind, type ScenarioSpec, type ExpectedFinding, type PlacedScenario } from './scenarios.ts';
import * as topo from './topology.ts';

export { writeBulkFlowExport } from './bulk.ts';
export { corruptExport } from './corrupt.ts';
export { scoreFindings, matches, addrAgrees, type Score } from './score.ts';
export { SCENARIO_KINDS, type ScenarioKind, type ScenarioSpec, type ExpectedFinding } from './scenarios.ts';
export type { WrittenFile } from './out.ts';
export * as topology from './topology.ts';

export interface GenerateOptions {
  scenarios: (ScenarioKind | ScenarioSpec)[];
  /** ISO start of the timeline (rounded down to the minute). */
  start: string;
  hours: number;
  seed: number;
  /** Multiplies every session arrival rate (default 1). */
  scale?: number;
  formats?: {
    tgwLayout?: FlowWriteOptions['tgwLayout'];
    delivery?: FlowWriteOptions['delivery'];
    /** Leave out whole source kinds (e.g. to test ingest of flow logs only). */
    skip?: ('metrics' | 'vpn-logs' | 'config' | 'vpc' | 'tgw')[];
  };
  /** Also write truth.json here (absolute path). */
  truthPath?: string;
}

export interface Truth {
  generator: 1;
  seed: number;
  start: string;
  end: string;
  topology: {
    account: string; region: string; vpcId: string; tgwId: string; vpcAttachmentId: string; vpnAttachmentId: string; vpnId: string;
    tunnels: { index: number; outsideIp: string; insideCidr: string }[];
    enis: { name: string; id: string; ip: string }[];
  };
  scenarios: { kind: ScenarioKind; start: string; end: string; params: Record<string, unknown> }[];
  expected: ExpectedFinding[];
}

export interface GenerateResult {
  truth: Truth;
  files: WrittenFile[];
  counts: { vpc_flows: number; tgw_flows: number; metric_points: number; vpn_events: number; bgp_events: number; config_objects: number };
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

export async function generateScenario(opts: GenerateOptions, outDir: string): Promise<GenerateResult> {
  const start = Math.floor(Date.parse(opts.start) / 60_000) * 60;
  if (!Number.isFinite(start)) throw new Error(`bad start time ${opts.start}`);
  const end = start + Math.round(opts.hours * 3600);
  const rng = new Rng(opts.seed);
  const world = new World();
  const specs = opts.scenarios.map((s) => (typeof s === 'string' ? { kind: s } : s));
  const placed: PlacedScenario[] = place(specs, start, end);
  const events = placed.flatMap((p) => apply(p, world, rng.fork(`scenario-${p.kind}-${p.from}`)));
  events.push(...routineEvents(world, rng.fork('routine'), start, end));

  const sim = new Sim(world, rng.fork('traffic'));
  simulateSessions(sim, start, end, opts.scale ?? 1);
  // Records outside the timeline (sessions running past the end) are not exported.
  sim.obs.splice(0, sim.obs.length, ...sim.obs.filter((o) => o.t0 < end));
  const { vpc, tgw } = buildRecords(sim.obs, world, rng.fork('records'), start, end);
  for (const [k, list] of vpc) vpc.set(k, list.filter((r) => Number(r.end) < end + 120));

  mkdirSync(outDir, { recursive: true });
  const out = new Out(outDir);
  const skip = new Set(opts.formats?.skip ?? []);
  const tgwLayout = opts.formats?.tgwLayout ?? 'default';
  writeFlowLogs(out, skip.has('vpc') ? new Map() : vpc, skip.has('tgw') ? [] : tgw, { seed: opts.seed, tgwLayout, delivery: opts.formats?.delivery });
  if (!skip.has('metrics')) writeMetrics(out, metricSeries(world, sim.tunnelBytes, start, end), start, end, opts.seed);
  if (!skip.has('vpn-logs')) writeVpnLogs(out, events, opts.seed);
  if (!skip.has('config')) {
    const lastChange = { 1: start - 86_400 * 12 + 3907, 2: start - 86_400 * 12 + 3911 } as Record<1 | 2, number>;
    for (const k of [1, 2] as const) for (const i of world.tunnelDown[k]) if (i.to <= end) lastChange[k] = Math.max(lastChange[k], i.to); else lastChange[k] = Math.max(lastChange[k], i.from);
    const bh = world.blackholed('172.16.20.1', end - 1);
    writeConfig(out, world, { end, lastChange, blackholePrefix: bh ? bh.prefix : null, sgRejectActive: false, tgwFields: tgwLayout === 'custom' ? topo.TGW_CUSTOM_FIELDS : topo.TGW_DEFAULT_FIELDS });
  }

  const truth: Truth = {
    generator: 1,
    seed: opts.seed,
    start: iso(start),
    end: iso(end),
    topology: {
      account: topo.ACCOUNT, region: topo.REGION, vpcId: topo.VPC_ID, tgwId: topo.TGW_ID, vpcAttachmentId: topo.VPC_ATTACH, vpnAttachmentId: topo.VPN_ATTACH, vpnId: topo.VPN_ID,
      tunnels: topo.TUNNELS.map((t) => ({ index: t.index, outsideIp: t.outsideIp, insideCidr: t.insideCidr })),
      enis: topo.ENIS.map((e) => ({ name: e.name, id: e.id, ip: e.ip })),
    },
    scenarios: placed.map((p) => ({ kind: p.kind, start: iso(p.from), end: iso(p.to), params: p.params })),
    expected: placed.flatMap((p) => expected(p, sim)),
  };
  if (opts.truthPath) writeFileSync(opts.truthPath, JSON.stringify(truth, null, 2) + '\n');
  const sum = (kind: WrittenFile['kind']) => out.files.filter((f) => f.kind === kind).reduce((n, f) => n + f.records, 0);
  return {
    truth,
    files: out.files,
    counts: {
      vpc_flows: sum('vpc_flows'), tgw_flows: sum('tgw_flows'), metric_points: sum('metrics'),
      vpn_events: sum('vpn_tunnel_log'), bgp_events: sum('vpn_bgp_log'), config_objects: sum('config'),
    },
  };
}
