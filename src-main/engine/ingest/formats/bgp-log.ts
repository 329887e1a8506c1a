/**
 * Site-to-Site VPN tunnel BGP logs (BGPStatus, RouteStatus). Claims a file when its messages are
 * BGP log records; a file that mixes BGP and tunnel records is loaded whole by whichever handler
 * sees more of its kind in the first bytes (vpn-log-read.ts fills both tables).
 */
import type { Detection, FormatHandler, Sample } from '../types.ts';
import { containerOf, countMarks, loadVpnLogs } from './vpn-log-read.ts';

export function detectBgpLog(sample: Sample): Detection | null {
  const m = countMarks(sample);
  if (m.bgp === 0) return null;
  return { kind: 'vpn_bgp_log', format: containerOf(sample), confidence: m.bgp > m.tunnel ? 0.9 : 0.8 };
}

export const bgpLogHandler: FormatHandler = {
  name: 'vpn-bgp-log',
  detect: detectBgpLog,
  load: loadVpnLogs,
};
