/**
 * Which tunnels carry traffic, per 5-minute bucket and direction, from TunnelDataIn/TunnelDataOut.
 * An idle tunnel still shows BGP keepalives and DPD (a few hundred bytes to ~2 KB per 5 min), and
 * a tunnel whose flows fail at the handshake carries only SYN/SYN-ACK retransmissions (tens of KB),
 * so a share of the VPN's total is not enough. A tunnel is active in a bucket when its bytes are
 * above the keepalive floor (ACTIVE_BYTES per 300 s) AND either a real share of the VPN's bytes or
 * well above its own quiet level (3 × its 10th percentile over the whole capture).
 */
import type { Conn } from '../../db/index.ts';
import { quantile } from '../util.ts';

export const ACTIVE_BYTES = 8 * 1024;
export const ACTIVE_SHARE = 0.15;
export const BUCKET = 300;

export interface TunnelBucket {
  vpnId: string;
  tunnelIp: string;
  bucket: number;
  bytesIn: number;
  bytesOut: number;
  inActive: boolean;
  outActive: boolean;
}

export async function tunnelActivity(c: Conn): Promise<TunnelBucket[]> {
  // Duplicate points (the same series from get-metric-data and get-metric-statistics) count once.
  const rows = await c.all<{ vpn_id: string; tunnel_ip: string; b: number; din: number; dout: number; p: number }>(
    `SELECT vpn_id, tunnel_ip, t - t % ${BUCKET} AS b,
       coalesce(sum(v) FILTER (WHERE metric = 'TunnelDataIn'), 0) AS din, coalesce(sum(v) FILTER (WHERE metric = 'TunnelDataOut'), 0) AS dout,
       max(p) AS p
     FROM (SELECT vpn_id, tunnel_ip, metric, epoch(ts)::BIGINT AS t, max(value) AS v, max(coalesce(period_s, 300)) AS p
           FROM metric_points WHERE namespace = 'AWS/VPN' AND metric IN ('TunnelDataIn', 'TunnelDataOut')
             AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL AND value IS NOT NULL
           GROUP BY ALL)
     GROUP BY ALL ORDER BY vpn_id, b, tunnel_ip`,
  );
  const q10 = new Map<string, { i: number; o: number }>();
  const byTunnel = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.vpn_id}|${r.tunnel_ip}`;
    const a = byTunnel.get(k) ?? [];
    a.push(r);
    byTunnel.set(k, a);
  }
  for (const [k, a] of byTunnel) q10.set(k, { i: quantile(a.map((r) => r.din), 0.1), o: quantile(a.map((r) => r.dout), 0.1) });
  const totals = new Map<string, { i: number; o: number }>();
  for (const r of rows) {
    const k = `${r.vpn_id}|${r.b}`;
    const t = totals.get(k) ?? { i: 0, o: 0 };
    t.i += r.din;
    t.o += r.dout;
    totals.set(k, t);
  }
  return rows.map((r) => {
    const floor = ACTIVE_BYTES * (BUCKET / 300);
    const q = q10.get(`${r.vpn_id}|${r.tunnel_ip}`)!;
    const tot = totals.get(`${r.vpn_id}|${r.b}`)!;
    const active = (v: number, quiet: number, total: number) => v >= floor && (v >= ACTIVE_SHARE * total || v >= 3 * quiet);
    return {
      vpnId: r.vpn_id,
      tunnelIp: r.tunnel_ip,
      bucket: r.b,
      bytesIn: r.din,
      bytesOut: r.dout,
      inActive: active(r.din, q.i, tot.i),
      outActive: active(r.dout, q.o, tot.o),
    };
  });
}

/** Per tunnel of one VPN over [a, b): bytes and whether it was active in at least a third of the buckets. */
export function summarize(all: TunnelBucket[], vpnId: string, a: number, b: number): { tunnelIp: string; bytesIn: number; bytesOut: number; inActive: boolean; outActive: boolean }[] {
  const mine = all.filter((x) => x.vpnId === vpnId && x.bucket + BUCKET > a && x.bucket < b);
  const ips = [...new Set(mine.map((x) => x.tunnelIp))].sort();
  return ips.map((ip) => {
    const xs = mine.filter((x) => x.tunnelIp === ip);
    const n = Math.max(1, xs.length);
    return {
      tunnelIp: ip,
      bytesIn: xs.reduce((s, x) => s + x.bytesIn, 0),
      bytesOut: xs.reduce((s, x) => s + x.bytesOut, 0),
      inActive: xs.filter((x) => x.inActive).length >= n / 3,
      outActive: xs.filter((x) => x.outActive).length >= n / 3,
    };
  });
}
