import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgpLogHandler } from '../../src-main/engine/ingest/formats/bgp-log.ts';
import { configHandler } from '../../src-main/engine/ingest/formats/config.ts';
import { metricQueriesHandler, metricsHandler } from '../../src-main/engine/ingest/formats/metrics.ts';
import type { FormatHandler } from '../../src-main/engine/ingest/types.ts';
import { Case } from './ingest-json-harness.ts';

let c: Case;
let dir: string;
beforeAll(async () => {
  c = await new Case().open();
  dir = mkdtempSync(join(tmpdir(), 'tscope-fuzz-'));
});
afterAll(async () => {
  await c.dispose();
  rmSync(dir, { recursive: true, force: true });
});

// Random JSON put where each handler looks: every item must end as a row or a quarantine row,
// and no shape may raise a database error (which would abort the service's transaction).
const wrap: Record<string, (v: unknown) => unknown> = {
  metrics: (v) => ({ MetricDataResults: v }),
  stats: (v) => ({ Label: 'TunnelState', Datapoints: v }),
  events: (v) => ({ events: v }),
  sub: (v) => ({ messageType: 'DATA_MESSAGE', logEvents: v }),
  vpns: (v) => ({ VpnConnections: v }),
  routes: (v) => ({ RouteTables: v }),
  bare: (v) => v,
};
/** Keys the handlers look at, so random objects reach the deeper code paths. */
const KEYS = ['Id', 'Label', 'Timestamps', 'Values', 'Timestamp', 'Sum', 'ExtendedStatistics', 'message', 'timestamp', 'logStreamName', 'type', 'status',
  'resource_id', 'event_timestamp', 'details', 'asPath', 'ike_phase1_state', 'VpnConnectionId', 'Options', 'TunnelOptions', 'VgwTelemetry', 'Routes', 'RouteTableId'];
const handlerFor: Record<string, FormatHandler> = {
  metrics: metricsHandler, stats: metricsHandler, events: bgpLogHandler, sub: bgpLogHandler, vpns: configHandler, routes: configHandler, bare: metricQueriesHandler,
};

describe('robustness against arbitrary JSON', () => {
  it('never fails and accounts for every item', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(wrap)),
        fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.array(fc.dictionary(fc.constantFrom(...KEYS), fc.jsonValue({ maxDepth: 3 })), { maxLength: 4 })),
        fc.boolean(),
        async (shape, value, pretty) => {
          const f = join(dir, `f${n++}.json`);
          writeFileSync(f, JSON.stringify(wrap[shape]!(value), null, pretty ? 2 : undefined));
          const r = await c.ingest(f, {}, f, handlerFor[shape]);
          expect(r.result.quarantined).toBeLessThanOrEqual(Math.max(r.result.linesRead, 1));
          if (shape !== 'metrics' && shape !== 'stats') expect(r.result.records + r.result.quarantined).toBe(r.result.linesRead);
        },
      ),
      { numRuns: 80, seed: 20261127 },
    );
  });
});
