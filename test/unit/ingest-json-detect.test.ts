import { describe, expect, it } from 'vitest';
import { detect, fix } from '../integration/ingest-json-harness.ts';

const claims = (p: string) => {
  const d = detect(fix(p));
  return d ? { handler: d.handler.name, kind: d.detection.kind, format: d.detection.format } : null;
};

describe('detection of the JSON source kinds', () => {
  it.each([
    ['metrics/get-metric-data.page1.json', 'metrics', 'get-metric-data'],
    ['metrics/get-metric-data.two-pages.json', 'metrics', 'get-metric-data'],
    ['metrics/tunnel2-state.json', 'metrics', 'get-metric-statistics'],
    ['conformance/get-metric-statistics.output.json', 'metrics', 'get-metric-statistics'],
    ['metrics/queries.json', 'config', 'metric-queries'],
    ['logs/tunnel-filter-log-events.json', 'vpn_tunnel_log', 'filter-log-events'],
    ['logs/vpn-0fedcba9876543210-198.51.100.7.get-log-events.json', 'vpn_tunnel_log', 'get-log-events'],
    ['logs/bgp-subscription.json', 'vpn_bgp_log', 'cwl-subscription'],
    ['logs/export-vpn-0a1b2c3d4e5f60718-203.0.113.10-000000.txt', 'vpn_tunnel_log', 'cwl-export'],
    ['logs/tunnel-records.jsonl', 'vpn_tunnel_log', 'json-lines'],
    ['conformance/tunnel-bgp-log-examples.json', 'vpn_bgp_log', 'json'],
    ['config/describe-vpn-connections.json', 'config', 'describe-vpn-connections'],
    ['conformance/describe-vpn-connections.output.json', 'config', 'describe-vpn-connections'],
    ['config/describe-transit-gateway-attachments.json', 'config', 'describe-transit-gateway-attachments'],
    ['config/describe-transit-gateways.json', 'config', 'describe-transit-gateways'],
    ['config/tgw-rtb-0abc1234def567890.search-transit-gateway-routes.json', 'config', 'search-transit-gateway-routes'],
    ['conformance/search-transit-gateway-routes.output.json', 'config', 'search-transit-gateway-routes'],
    ['conformance/get-transit-gateway-route-table-propagations.output.json', 'config', 'get-transit-gateway-route-table-propagations'],
    ['config/describe-route-tables.json', 'config', 'describe-route-tables'],
    ['config/bad-route-tables-shape.json', 'config', 'describe-route-tables'],
  ])('%s → %s / %s', (file, kind, format) => {
    expect(claims(file)).toMatchObject({ kind, format });
  });

  it('leaves CloudWatch containers whose messages are not VPN or BGP logs to other handlers', () => {
    for (const f of ['logs/flow-filter-log-events.json', 'conformance/filter-log-events.output.json', 'conformance/get-log-events.output.json']) {
      const c = claims(f);
      expect(c === null || !['vpn_tunnel_log', 'vpn_bgp_log'].includes(c.kind), f).toBe(true);
    }
  });
});
