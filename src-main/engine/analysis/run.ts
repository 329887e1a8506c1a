/**
 * runAnalysis: rebuilds conversations, rollups and findings from the records in the case.
 * Idempotent (derived tables are cleared first, ids are content hashes) and cancellable.
 */
import type { Conn, Db } from '../db/index.ts';
import { AppError } from '../../shared/result.ts';
import type { Finding } from '../../shared/domain.ts';
import {
  buildConversations,
  buildRollupConversations,
  buildRollupFlows,
  buildRollupLogStatus,
  clearDerived,
  createConvDict,
  createTunnelDir,
} from './sql/build.ts';
import { detectors } from './detectors/index.ts';
import type { DetectorContext, Draft, TunnelRef } from './detectors/types.ts';
import { finalize, storeFindings } from './findings.ts';
import { tunnelActivity } from './detectors/tunnel-activity.ts';

/** Records of one 5-tuple further apart than this (after the latest end) start a new conversation. */
export const PAIRING_GAP_S = 300;
/** Mean bytes per packet at or below which a direction carried only handshake/ACK packets (IPv6 SYN ≈ 80). */
export const HANDSHAKE_PACKET_BYTES = 80;

export interface AnalysisOptions {
  signal?: AbortSignal;
  onPhase?: (phase: string) => void;
}

export interface AnalysisResult {
  findings: Finding[];
  elapsedMs: number;
  timings: Record<string, number>;
}

export async function runAnalysis(db: Db, opts: AnalysisOptions = {}): Promise<AnalysisResult> {
  if (db.readOnly) throw new AppError('read-only', 'This investigation is open read-only, so it cannot be analysed. Save a copy and analyse that.');
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  return db.use(async (c) => {
    const onAbort = () => c.interrupt();
    opts.signal?.addEventListener('abort', onAbort);
    const restore = await boundMemory(c);
    try {
      const step = async (name: string, fn: () => Promise<void>) => {
        if (opts.signal?.aborted) throw new AppError('cancelled', 'Analysis was cancelled.');
        opts.onPhase?.(name);
        const s = performance.now();
        await fn();
        timings[name] = Math.round(performance.now() - s);
      };
      let findings: Finding[] = [];
      await c.transaction(async () => {
        await step('clear', async () => {
          for (const sql of clearDerived) await c.run(sql);
        });
        await step('conversations', async () => {
          await tieTunnels(c);
          await c.run(createConvDict);
          const names = (await c.one<{ n: number }>('SELECT count(*) AS n FROM conv_dict'))?.n ?? 0;
          await c.run(buildConversations(Math.max(1, Math.ceil(names / 64))), { gap: PAIRING_GAP_S, small: HANDSHAKE_PACKET_BYTES });
          // Lets a time-range filter also bound first_seen from below (the table is in first_seen order).
          await c.run("INSERT OR REPLACE INTO meta SELECT 'conv_max_span_s', coalesce(max(last_seen - first_seen), 0)::VARCHAR FROM conversations");
          // The display columns (migration 004) are filled: readers need not rebuild them from the lists.
          await c.run("INSERT OR REPLACE INTO meta VALUES ('conv_text', '1')");
        });
        await step('rollups', async () => {
          await c.run(buildRollupFlows);
          await c.run(buildRollupLogStatus);
          await c.run(buildRollupConversations);
        });
        const ctx = await context(c);
        const drafts: Draft[] = [];
        for (const [name, detect] of Object.entries(detectors)) {
          await step(`detect:${name}`, async () => {
            drafts.push(...(await detect(ctx)));
          });
        }
        await step('findings', async () => {
          findings = await finalize(c, drafts);
          await storeFindings(c, findings);
          await c.run("INSERT OR REPLACE INTO meta VALUES ('analyzed_at', $t)", { t: new Date().toISOString() });
        });
      });
      return { findings, elapsedMs: Math.round(performance.now() - t0), timings };
    } catch (e) {
      if (opts.signal?.aborted) throw new AppError('cancelled', 'Analysis was cancelled.');
      throw e;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      await restore();
    }
  });
}

/** DuckDB's buffer pool while analysing: the big sorts and aggregates spill to `<case>.tmp` beyond it. */
export const ANALYSIS_MEMORY_LIMIT = process.env.TSCOPE_ANALYSIS_MEMORY ?? '1GB';

/**
 * The pairing windows and aggregates would otherwise grow to DuckDB's default limit (80 % of RAM).
 * memory_limit and preserve_insertion_order are instance-wide, so the previous values come back
 * afterwards; a limit already set lower (Db.open's memoryLimit) is kept. Nothing here needs the
 * insertion order of an unordered SELECT (the conversations INSERT has its own ORDER BY).
 */
async function boundMemory(c: Conn): Promise<() => Promise<void>> {
  const before = await c.all<{ name: string; value: string }>(
    "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'preserve_insertion_order')",
  );
  const old = new Map(before.map((r) => [r.name, r.value]));
  const bytes = (v: string) => {
    const m = /^([\d.]+)\s*([KMGT]?)(i?)B$/i.exec(v.trim());
    if (!m) return Infinity;
    return Number(m[1]) * (m[3] ? 1024 : 1000) ** ' KMGT'.indexOf((m[2] || ' ').toUpperCase());
  };
  const lower = bytes(ANALYSIS_MEMORY_LIMIT) < bytes(old.get('memory_limit') ?? '');
  if (lower) await c.run(`SET memory_limit = '${ANALYSIS_MEMORY_LIMIT.replace(/'/g, '')}'`);
  await c.run('SET preserve_insertion_order = false');
  return async () => {
    try {
      if (lower) await c.run(`SET memory_limit = '${(old.get('memory_limit') ?? '').replace(/'/g, '')}'`);
      await c.run(`SET preserve_insertion_order = ${old.get('preserve_insertion_order') === 'false' ? 'false' : 'true'}`);
    } catch {
      /* the connection may be closing */
    }
  };
}

/**
 * Fills tunnel_dir, which the conversations build joins to tie directions to tunnels where the
 * metrics allow: for each VPN, 5-minute bucket and direction, the single tunnel that carried traffic that way. With ECMP or no metrics the
 * direction stays unattributed (flow logs cannot name the tunnel).
 */
async function tieTunnels(c: Conn): Promise<void> {
  await c.run(createTunnelDir);
  const act = await tunnelActivity(c);
  const one = new Map<string, string[]>();
  for (const a of act) {
    for (const [dir, on] of [['in', a.inActive], ['out', a.outActive]] as const) {
      if (!on) continue;
      const k = `${a.vpnId}|${a.bucket}|${dir}`;
      one.set(k, [...(one.get(k) ?? []), a.tunnelIp]);
    }
  }
  const rows = [...one.entries()].filter(([, ips]) => ips.length === 1).map(([k, ips]) => [...k.split('|'), ips[0]!] as [string, string, string, string]);
  if (rows.length === 0) return;
  for (let i = 0; i < rows.length; i += 250) {
    const chunk = rows.slice(i, i + 250);
    const params: Record<string, string | number> = {};
    const values = chunk.map(([vpn, bucket, dir, ip], j) => {
      Object.assign(params, { [`v${j}`]: vpn, [`b${j}`]: Number(bucket), [`d${j}`]: dir, [`t${j}`]: ip });
      return `($v${j}, $b${j}, $d${j}, $t${j})`;
    });
    await c.run(`INSERT INTO tunnel_dir VALUES ${values.join(', ')}`, params);
  }
}

/** Tunnels known from config, metrics or logs, each with the TGW attachment of its VPN when known. */
export async function loadTunnels(c: Conn): Promise<TunnelRef[]> {
  const rows = await c.all<{ vpn_id: string; tunnel_ip: string; idx: number | null; att: string | null }>(`
    WITH t AS (
      SELECT vpn_id, tunnel_ip, min(tunnel_index) AS idx FROM (
        SELECT vpn_id, tunnel_ip, tunnel_index FROM vpn_tunnels
        UNION ALL SELECT DISTINCT vpn_id, tunnel_ip, NULL FROM metric_points WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
        UNION ALL SELECT DISTINCT vpn_id, tunnel_ip, NULL FROM vpn_events WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
        UNION ALL SELECT DISTINCT vpn_id, tunnel_ip, NULL FROM bgp_events WHERE vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
      ) GROUP BY vpn_id, tunnel_ip
    )
    SELECT t.vpn_id, t.tunnel_ip, t.idx, (SELECT min(attachment_id) FROM tgw_attachments a WHERE a.resource_id = t.vpn_id) AS att
    FROM t ORDER BY t.vpn_id, t.idx NULLS LAST, t.tunnel_ip`);
  const byVpn = new Map<string, number>();
  return rows.map((r) => {
    const n = (byVpn.get(r.vpn_id) ?? 0) + 1;
    byVpn.set(r.vpn_id, n);
    const idx = r.idx ?? n;
    return { vpnId: r.vpn_id, tunnelIp: r.tunnel_ip, label: `${r.vpn_id} tunnel ${idx} (${r.tunnel_ip})`, attachmentId: r.att };
  });
}

async function context(c: Conn): Promise<DetectorContext> {
  const span = await c.one<{ from: number | null; to: number | null }>('SELECT min(bucket) AS "from", max(bucket) + 60 AS "to" FROM rollup_flows');
  const atts = await c.all<{ attachment_id: string; resource_id: string }>(
    "SELECT attachment_id, resource_id FROM tgw_attachments WHERE resource_type = 'vpn' AND resource_id IS NOT NULL",
  );
  return {
    conn: c,
    span: span?.from != null && span.to != null ? { from: span.from, to: span.to } : null,
    tunnels: await loadTunnels(c),
    vpnOfAttachment: new Map(atts.map((a) => [a.attachment_id, a.resource_id])),
    subsets: new Map(),
  };
}
