/**
 * Site-to-Site VPN tunnel activity logs (IKE, DPD, phase states). Claims a file only when its
 * messages carry tunnel-log keys, so flow-log records in the same CloudWatch containers are left to
 * the flow-log handlers. Loading is shared with the BGP handler (vpn-log-read.ts).
 */
import type { Detection, FormatHandler, Sample } from '../types.ts';
import { containerOf, countMarks, loadVpnLogs } from './vpn-log-read.ts';

export function detectTunnelLog(sample: Sample): Detection | null {
  const m = countMarks(sample);
  if (m.tunnel === 0) return null;
  return { kind: 'vpn_tunnel_log', format: containerOf(sample), confidence: m.tunnel >= m.bgp ? 0.9 : 0.8 };
}

export const vpnLogHandler: FormatHandler = {
  name: 'vpn-tunnel-log',
  detect: detectTunnelLog,
  load: loadVpnLogs,
};
