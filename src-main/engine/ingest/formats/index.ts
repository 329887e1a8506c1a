/**
 * Every format handler, in one list. Detection asks each one and keeps the highest confidence,
 * so the order only matters for ties (earlier wins). Add a handler with one import and one entry.
 */
import type { FormatHandler } from '../types.ts';
import { bgpLogHandler } from './bgp-log.ts';
import { configHandler } from './config.ts';
import { cwlMarkerHandler } from './cwl-marker.ts';
import { metricQueriesHandler, metricsHandler } from './metrics.ts';
import { vpnLogHandler } from './vpn-log.ts';
import { flowJsonHandler } from './flow-json.ts';
import { flowParquetHandler } from './flow-parquet.ts';
import { flowTextHandler } from './flow-text.ts';

export const handlers: FormatHandler[] = [
  flowTextHandler,
  flowJsonHandler,
  flowParquetHandler,
  metricsHandler,
  metricQueriesHandler,
  vpnLogHandler,
  bgpLogHandler,
  configHandler,
  cwlMarkerHandler,
];
