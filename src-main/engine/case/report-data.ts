/** What the incident report shows, read from the case in one pass. Every string here is untrusted. */
import type { Annotation, Finding, FindingReview } from '../../shared/domain.ts';
import { listFindings } from '../analysis/findings.ts';
import type { Conn, Db } from '../db/index.ts';
import { listNotes, reviewsById } from './state.ts';

export interface Point {
  t: number; // epoch ms
  v: number;
}

export interface ReportData {
  name: string;
  generatedAt: string;
  timeMin: string | null;
  timeMax: string | null;
  analyzedAt: string | null;
  /** Set when the file is a redacted copy (see redact.ts). */
  redacted: { records: boolean; notes: boolean } | null;
  sources: { file: string; kind: string; records: number; quarantined: number; status: string }[];
  counts: Record<string, number>;
  tunnels: { vpnId: string; tunnelIp: string; bytesIn: Point[]; bytesOut: Point[]; down: Point[] }[];
  rejects: { bucketSeconds: number; points: Point[] } | null;
  handshake: { bucketSeconds: number; synNoSynAck: Point[]; halfOpen: Point[] } | null;
  events: { ts: string; vpnId: string | null; tunnelIp: string | null; log: 'tunnel' | 'bgp'; what: string; details: string }[];
  eventsTotal: number;
  findings: (Finding & { review?: FindingReview })[];
  notes: Annotation[];
}

const EVENT_LIMIT = 1000;

async function rows(c: Conn, table: string): Promise<number> {
  if (!(await c.hasTable(table))) return 0;
  return (await c.one<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))!.n;
}

const ms = (iso: string) => Date.parse(iso);

export async function loadReportData(db: Db, name: string): Promise<ReportData> {
  return db.use(async (c): Promise<ReportData> => {
    const counts: Record<string, number> = {};
    for (const t of ['vpc_flows', 'tgw_flows', 'metric_points', 'vpn_events', 'bgp_events', 'config_objects', 'quarantine']) counts[t] = await rows(c, t);

    const sources = (
      await c.all<{ path: string; kind: string; records: number | null; quarantined: number | null; status: string }>(
        'SELECT path, kind, records, quarantined, status FROM sources ORDER BY source_id',
      )
    ).map((s) => ({ file: baseName(s.path), kind: s.kind, records: s.records ?? 0, quarantined: s.quarantined ?? 0, status: s.status }));

    const range = await c.one<{ lo: string | null; hi: string | null }>(
      `SELECT min(lo)::VARCHAR AS lo, max(hi)::VARCHAR AS hi FROM (
         SELECT min(time_min) AS lo, max(time_max) AS hi FROM sources
         UNION ALL SELECT min(ts), max(ts) FROM metric_points
         UNION ALL SELECT min(ts), max(ts) FROM vpn_events
         UNION ALL SELECT min(ts), max(ts) FROM bgp_events)`,
    );
    const analyzed = await c.one<{ value: string }>("SELECT value FROM meta WHERE key = 'analyzed_at'");
    const redactedRow = await c.one<{ value: string }>("SELECT value FROM meta WHERE key = 'redacted'");
    let redacted: ReportData['redacted'] = null;
    try {
      const r = redactedRow ? (JSON.parse(redactedRow.value) as { records?: unknown; notes?: unknown }) : null;
      if (r) redacted = { records: r.records !== false, notes: r.notes !== false };
    } catch {
      redacted = { records: true, notes: true };
    }

    // Per-tunnel CloudWatch series: bytes in/out per period, and periods with TunnelState below 1.
    const metric = await c.all<{ vpn_id: string; tunnel_ip: string; metric: string; ts: string; v: number }>(
      `SELECT vpn_id, tunnel_ip, metric, ts, sum(value) AS v FROM metric_points
       WHERE namespace = 'AWS/VPN' AND metric IN ('TunnelDataIn', 'TunnelDataOut', 'TunnelState') AND vpn_id IS NOT NULL AND tunnel_ip IS NOT NULL
       GROUP BY ALL ORDER BY vpn_id, tunnel_ip, ts`,
    );
    const byTunnel = new Map<string, ReportData['tunnels'][number]>();
    for (const m of metric) {
      const key = `${m.vpn_id}|${m.tunnel_ip}`;
      let t = byTunnel.get(key);
      if (!t) byTunnel.set(key, (t = { vpnId: m.vpn_id, tunnelIp: m.tunnel_ip, bytesIn: [], bytesOut: [], down: [] }));
      const p = { t: ms(m.ts), v: m.v };
      if (m.metric === 'TunnelDataIn') t.bytesIn.push(p);
      else if (m.metric === 'TunnelDataOut') t.bytesOut.push(p);
      else t.down.push({ t: p.t, v: m.v < 1 ? 1 : 0 });
    }

    // Rejects per minute: from the rollup when analysis ran (works on a redacted file without records), else from the records.
    let rejects: ReportData['rejects'] = null;
    const fromRollup = (await c.hasTable('rollup_flows')) && (await rows(c, 'rollup_flows')) > 0;
    const rej = fromRollup
      ? await c.all<{ b: number; n: number }>("SELECT bucket AS b, sum(records) AS n FROM rollup_flows WHERE action = 'REJECT' GROUP BY 1 ORDER BY 1")
      : await c.all<{ b: number; n: number }>("SELECT (start_time // 60) * 60 AS b, count(*) AS n FROM vpc_flows WHERE action = 'REJECT' GROUP BY 1 ORDER BY 1");
    if (rej.length > 0) rejects = { bucketSeconds: 60, points: rej.map((r) => ({ t: r.b * 1000, v: r.n })) };

    let handshake: ReportData['handshake'] = null;
    if ((await c.hasTable('rollup_conversations')) && (await rows(c, 'rollup_conversations')) > 0) {
      const hs = await c.all<{ b: number; state: string; n: number }>(
        "SELECT bucket AS b, state, sum(conversations) AS n FROM rollup_conversations WHERE state IN ('syn-no-synack', 'half-open') GROUP BY ALL ORDER BY 1",
      );
      handshake = {
        bucketSeconds: 60,
        synNoSynAck: hs.filter((h) => h.state === 'syn-no-synack').map((h) => ({ t: h.b * 1000, v: h.n })),
        halfOpen: hs.filter((h) => h.state === 'half-open').map((h) => ({ t: h.b * 1000, v: h.n })),
      };
    }

    const eventSql = `
      SELECT ts::VARCHAR AS ts, vpn_id, tunnel_ip, 'tunnel' AS log, event AS what, coalesce(details, '') AS details FROM vpn_events WHERE coalesce(event, 'other') <> 'other'
      UNION ALL
      SELECT ts::VARCHAR, vpn_id, tunnel_ip, 'bgp', CASE WHEN type = 'RouteStatus' THEN 'route ' || lower(status) ELSE 'bgp ' || lower(status) END,
             CASE WHEN type = 'RouteStatus' THEN concat_ws(' ', prefix, 'as-path', as_path, 'med', med::VARCHAR, 'next-hop', next_hop_ip) ELSE coalesce(details, '') END
      FROM bgp_events`;
    const eventsTotal = (await c.one<{ n: number }>(`SELECT count(*) AS n FROM (${eventSql})`))!.n;
    const events = await c.all<{ ts: string; vpn_id: string | null; tunnel_ip: string | null; log: 'tunnel' | 'bgp'; what: string; details: string }>(
      `${eventSql} ORDER BY ts, log LIMIT ${EVENT_LIMIT}`,
    );

    return {
      name,
      generatedAt: new Date().toISOString(),
      timeMin: range?.lo ? new Date(range.lo).toISOString() : null,
      timeMax: range?.hi ? new Date(range.hi).toISOString() : null,
      analyzedAt: analyzed?.value ?? null,
      redacted,
      sources,
      counts,
      tunnels: [...byTunnel.values()],
      rejects,
      handshake,
      events: events.map((e) => ({ ts: new Date(e.ts).toISOString(), vpnId: e.vpn_id, tunnelIp: e.tunnel_ip, log: e.log, what: String(e.what ?? ''), details: String(e.details ?? '') })),
      eventsTotal,
      findings: [] as ReportData['findings'],
      notes: [] as Annotation[],
    };
  }).then(async (d) => {
    const reviews = await reviewsById(db);
    const fs = await listFindings(db).catch(() => [] as Finding[]);
    d.findings = fs.map((f) => ({ ...f, review: reviews.get(f.id) }));
    d.notes = await listNotes(db);
    return d;
  });
}

function baseName(p: string): string {
  const s = p.replace(/[\\/]+$/, '');
  return s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
}
