/** A fake engine for the renderer state classes: answers calls from a table and lets tests emit events. */
import type { CaseSummary, SourceInfo } from '../../src-main/shared/domain.ts';
import type { ApiPort } from '../../src-renderer/lib/ui/api-port.ts';

type Answer = (args: any) => unknown;

export function fakeApi(answers: Record<string, Answer>) {
  const calls: [string, unknown][] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const api = {
    calls,
    async call(channel: string, args?: unknown) {
      calls.push([channel, args]);
      const a = answers[channel];
      if (!a) throw new Error(`no fake answer for ${channel}`);
      return a(args ?? {});
    },
    on(event: string, cb: (p: unknown) => void) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(cb);
      return () => listeners.get(event)!.delete(cb);
    },
    emit(event: string, payload: unknown) {
      for (const cb of listeners.get(event) ?? []) cb(payload);
    },
    listenerCount() {
      return [...listeners.values()].reduce((n, s) => n + s.size, 0);
    },
  };
  return api as typeof api & ApiPort;
}

export function source(p: Partial<SourceInfo> = {}): SourceInfo {
  return {
    sourceId: 1, path: '/srv/demo/flows.log', kind: 'vpc_flows', format: null, fields: null, bytes: 2048, linesRead: 11, records: 10, headerLines: 1,
    overlapRecords: 0, quarantined: 0, timeMin: '2026-03-14T09:00:00.000Z', timeMax: '2026-03-14T10:00:00.000Z', status: 'complete', message: null, ...p,
  };
}

export function summary(p: Partial<CaseSummary> = {}): CaseSummary {
  return {
    path: '/tmp/case.tscope', name: 'case', formatVersion: 1, readOnly: false, sources: [source()],
    counts: { vpc_flows: 10, tgw_flows: 0, metric_points: 0, vpn_events: 0, bgp_events: 0, config_objects: 0, quarantined: 0 },
    timeMin: '2026-03-14T09:00:00.000Z', timeMax: '2026-03-14T10:00:00.000Z', tunnels: [], unattributedSeries: [], analyzedAt: null, ...p,
  };
}
