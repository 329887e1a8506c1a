/**
 * The state of the network over time, as scenarios change it. Every question the traffic
 * simulation asks ("which tunnel does AWS send this flow on at t?") is answered here, so scenarios
 * only declare intervals and never touch records.
 */
import { hash32 } from './prng.ts';

export interface Interval { from: number; to: number }

export interface SgRule { from: number; to: number; dst: string; port: number; srcPrefix: string; variant: 'sg' | 'nacl' }
export interface Blackhole { from: number; to: number; prefix: string; ipPrefix: string }
export interface EniGap { from: number; to: number; eni: string; mode: 'skipdata' | 'silent' }

export class World {
  /** Per tunnel index (1, 2): intervals when IKE/BGP are down. */
  readonly tunnelDown: Record<1 | 2, Interval[]> = { 1: [], 2: [] };
  /** Intervals when tunnel 2 advertises the same AS-path length as tunnel 1 (TGW ECMP over both). */
  readonly ecmp: Interval[] = [];
  /** Bastion's security group never allowed RDP: scattered REJECTs exist on every day. */
  readonly sg: SgRule[] = [{ from: -Infinity, to: Infinity, dst: '10.10.1.10', port: 3389, srcPrefix: '', variant: 'sg' }];
  readonly blackholes: Blackhole[] = [];
  readonly gaps: EniGap[] = [];

  tunnelUp(k: 1 | 2, t: number): boolean {
    return !inAny(this.tunnelDown[k], t);
  }

  ecmpActive(t: number): boolean {
    return inAny(this.ecmp, t) && this.tunnelUp(1, t) && this.tunnelUp(2, t);
  }

  /** The tunnel the customer gateway sends on (prefers tunnel 1 by local preference). */
  onpremTunnel(t: number): 1 | 2 | null {
    if (this.tunnelUp(1, t)) return 1;
    if (this.tunnelUp(2, t)) return 2;
    return null;
  }

  /** The tunnel the TGW sends a flow on: per-flow hash under ECMP, else the shorter AS path (tunnel 1). */
  awsTunnel(flowKey: string, t: number): 1 | 2 | null {
    if (this.ecmpActive(t)) return (hash32(flowKey) & 1) === 0 ? 1 : 2;
    if (this.tunnelUp(1, t)) return 1;
    if (this.tunnelUp(2, t)) return 2;
    return null;
  }

  sgRule(dst: string, port: number, src: string, t: number): SgRule | undefined {
    return this.sg.find((r) => t >= r.from && t < r.to && r.dst === dst && r.port === port && src.startsWith(r.srcPrefix));
  }

  blackholed(dst: string, t: number): Blackhole | undefined {
    return this.blackholes.find((b) => t >= b.from && t < b.to && dst.startsWith(b.ipPrefix));
  }

  gap(eni: string, t: number): EniGap | undefined {
    return this.gaps.find((g) => g.eni === eni && t >= g.from && t < g.to);
  }
}

export function inAny(xs: Interval[], t: number): boolean {
  return xs.some((i) => t >= i.from && t < i.to);
}
