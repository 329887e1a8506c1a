/**
 * log-gap: places where the flow logs cannot be trusted to be complete.
 *  1. SKIPDATA records: the flow log itself says records were skipped in those windows.
 *  2. A capture point that went silent (no record for ≥ 5 min beyond its own window) while other capture
 *     points kept logging traffic to or from it: its log is missing, not its traffic. A capture
 *     point that is merely idle (nobody else sees its traffic either) raises nothing.
 */
import { qa, qo } from '../sql/query.ts';
import type { Conn } from '../../db/index.ts';
import { cap, lit, plural } from '../util.ts';
import { windowText } from './common.ts';
import type { Detector, DetectorContext, Draft } from './types.ts';

const BUCKET = 600;
/** Records elsewhere that must mention the silent capture point before its silence is a gap. */
const MIN_SEEN_ELSEWHERE = 5;

async function skipData(ctx: DetectorContext): Promise<Draft[]> {
  const rows = await qa<{ tbl: string; cp: string; bucket: number; n: number; wend: number | null }>(ctx.conn, 
    "SELECT tbl, capture_point AS cp, bucket, records AS n, window_end AS wend FROM rollup_log_status WHERE log_status = 'SKIPDATA' ORDER BY tbl, cp, bucket",
  );
  const out: Draft[] = [];
  let cur: { tbl: string; cp: string; start: number; end: number; n: number } | null = null;
  const flush = () => {
    if (!cur) return;
    const c = cur;
    out.push({
      kind: 'log-gap',
      severity: 'warning',
      title: `Flow log of ${c.cp} skipped records (SKIPDATA)`,
      summary:
        `${cap(windowText(c.start, c.end))}, the flow log of ${c.cp} wrote ${plural(c.n, 'SKIPDATA record')}: AWS skipped records in those aggregation windows (capacity limit or internal error). ` +
        `Traffic counts, rejects and handshake states for ${c.cp} are incomplete there; a missing SYN-ACK or a quiet tunnel in this window proves nothing.`,
      start: c.start,
      end: c.end,
      subject: c.tbl === 'tgw_flows' ? { attachment_id: c.cp } : { interface_id: c.cp },
      stats: { skipdataRecords: c.n, table: c.tbl },
      evidence: {
        table: c.tbl as 'vpc_flows' | 'tgw_flows',
        sql: `SELECT * FROM ${c.tbl}\nWHERE log_status = 'SKIPDATA' AND ${c.tbl === 'tgw_flows' ? 'tgw_attachment_id' : 'interface_id'} = ${lit(c.cp)}\n  AND start_time BETWEEN ${c.start} AND ${c.end}\nORDER BY start_time`,
      },
    });
    cur = null;
  };
  for (const r of rows) {
    const end = Math.max(r.wend ?? r.bucket + 60, r.bucket + 60);
    if (cur && cur.tbl === r.tbl && cur.cp === r.cp && r.bucket <= cur.end + BUCKET) {
      cur.end = Math.max(cur.end, end);
      cur.n += r.n;
    } else {
      flush();
      cur = { tbl: r.tbl, cp: r.cp, start: r.bucket, end, n: r.n };
    }
  }
  flush();
  return out;
}

/** How many records at other capture points show this one's traffic in [a, z). */
async function seenElsewhere(c: Conn, tbl: string, cp: string, a: number, z: number): Promise<{ n: number; addr: string | null }> {
  if (tbl === 'tgw_flows') {
    const r = await qo<{ n: number }>(c, 
      'SELECT count(*) AS n FROM tgw_flows WHERE tgw_pair_attachment_id = $cp AND tgw_attachment_id <> $cp AND start_time >= $a AND start_time < $z',
      { cp, a, z },
    );
    return { n: Number(r?.n ?? 0), addr: null };
  }
  const own = await qo<{ a: string }>(c, 
    `SELECT a FROM (SELECT srcaddr AS a FROM vpc_flows WHERE interface_id = $cp AND srcaddr IS NOT NULL
                    UNION ALL SELECT dstaddr FROM vpc_flows WHERE interface_id = $cp AND dstaddr IS NOT NULL)
     GROUP BY a ORDER BY count(*) DESC, a LIMIT 1`,
    { cp },
  );
  if (!own) return { n: 0, addr: null };
  const r = await qo<{ n: number }>(c, 
    `SELECT (SELECT count(*) FROM vpc_flows WHERE interface_id <> $cp AND start_time >= $a AND start_time < $z
               AND (coalesce(pkt_dstaddr, dstaddr) = $addr OR coalesce(pkt_srcaddr, srcaddr) = $addr))
          + (SELECT count(*) FROM tgw_flows WHERE start_time >= $a AND start_time < $z AND (dstaddr = $addr OR srcaddr = $addr)) AS n`,
    { cp, a, z, addr: own.a },
  );
  return { n: Number(r?.n ?? 0), addr: own.a };
}

/**
 * Silences are measured between record starts on a 60 s grid. A record of a 600 s window covers
 * traffic up to 600 s (+60 s lag) after its start, so only the part of a silence beyond the
 * capture point's own window (W, estimated from its longest record) counts, and that part must
 * last MIN_SILENCE_S with other capture points logging its traffic.
 */
const MIN_SILENCE_S = 300;

async function silentCapturePoints(ctx: DetectorContext): Promise<Draft[]> {
  if (!ctx.span) return [];
  const rows = await qa<{ tbl: string; cp: string; b: number }>(ctx.conn, 
    `SELECT tbl, capture_point AS cp, bucket AS b FROM rollup_flows GROUP BY ALL
     UNION SELECT tbl, capture_point, bucket FROM rollup_log_status GROUP BY ALL
     ORDER BY 1, 2, 3`,
  );
  const byCp = new Map<string, number[]>();
  for (const r of rows) {
    const k = `${r.tbl}|${r.cp}`;
    const a = byCp.get(k) ?? [];
    a.push(r.b);
    byCp.set(k, a);
  }
  const candidates: { tbl: string; cp: string; a: number; z: number }[] = [];
  for (const [k, bs] of byCp) {
    if (bs.length < 3) continue;
    const [tbl, cp] = k.split('|') as [string, string];
    // Between consecutive active buckets, plus the tail up to the end of the data.
    const points = [...bs, ctx.span.to];
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i]! + 60;
      const z = points[i + 1]!;
      if (z - a >= MIN_SILENCE_S + 60) candidates.push({ tbl, cp, a, z });
    }
  }
  if (candidates.length === 0) return [];
  const windows = new Map(
    (await qa<{ cp: string; w: number }>(ctx.conn, 
      `SELECT interface_id AS cp, max(end_time - start_time) AS w FROM vpc_flows
       WHERE interface_id IN (SELECT unnest(string_split($cps, chr(1)))) AND coalesce(log_status, 'OK') = 'OK' GROUP BY 1`,
      { cps: [...new Set(candidates.filter((c) => c.tbl === 'vpc_flows').map((c) => c.cp))].join('\u0001') },
    )).map((r) => [r.cp, r.w > 180 ? 600 : 60]),
  );
  const out: Draft[] = [];
  for (const c of candidates) {
    const w = c.tbl === 'tgw_flows' ? 60 : (windows.get(c.cp) ?? 600);
    const a = c.a + w;
    const z = c.z - 60;
    if (z - a < MIN_SILENCE_S) continue;
    const seen = await seenElsewhere(ctx.conn, c.tbl, c.cp, a, z);
    if (seen.n < MIN_SEEN_ELSEWHERE) continue;
    const { tbl, cp } = c;
    out.push({
      kind: 'log-gap',
      severity: 'warning',
      title: `No flow records from ${cp} for ${plural(Math.round((z - a) / 60), 'minute')} while others saw its traffic`,
      summary:
        `${cap(windowText(a, z))}, ${cp} logged no flow record at all, yet ${plural(seen.n, 'record')} at other capture points show traffic ${tbl === 'tgw_flows' ? `paired with ${cp}` : `to or from its address ${seen.addr}`}. ` +
        `Its flow log is missing for that time (delivery gap, capacity trouble, deleted/recreated flow log, or files not imported), so do not read its silence as "no traffic".`,
      start: a,
      end: z,
      subject: tbl === 'tgw_flows' ? { attachment_id: cp } : { interface_id: cp },
      stats: { silentMinutes: Math.round((z - a) / 60), recordsElsewhere: seen.n, address: seen.addr, windowSeconds: w },
      evidence: {
        table: tbl as 'vpc_flows' | 'tgw_flows',
        sql:
          tbl === 'tgw_flows'
            ? `SELECT * FROM tgw_flows\nWHERE tgw_pair_attachment_id = ${lit(cp)} AND tgw_attachment_id <> ${lit(cp)}\n  AND start_time >= ${a} AND start_time < ${z}\nORDER BY start_time`
            : `SELECT * FROM vpc_flows\nWHERE interface_id <> ${lit(cp)} AND (coalesce(pkt_dstaddr, dstaddr) = ${lit(seen.addr)} OR coalesce(pkt_srcaddr, srcaddr) = ${lit(seen.addr)})\n  AND start_time >= ${a} AND start_time < ${z}\nORDER BY start_time`,
      },
    });
  }
  return out;
}

export const detectLogGaps: Detector = async (ctx) => [...(await skipData(ctx)), ...(await silentCapturePoints(ctx))];
