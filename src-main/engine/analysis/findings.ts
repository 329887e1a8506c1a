/** Turns detector drafts into stored findings: deterministic ids, ISO times, sample evidence rows. */
import { createHash } from 'node:crypto';
import type { Conn, Db } from '../db/index.ts';
import type { EvidenceRow, Finding, FindingSubject } from '../../shared/domain.ts';
import type { Draft } from './detectors/types.ts';
import { isoS } from './util.ts';

const SAMPLE_ROWS = 5;

/** Same kind, subject and start → same id, so reviews stored elsewhere survive a re-run. */
export function findingId(kind: string, subject: FindingSubject, start: number): string {
  const keys = Object.keys(subject).sort() as (keyof FindingSubject)[];
  const canon = keys.filter((k) => subject[k] !== undefined && subject[k] !== null).map((k) => `${k}=${subject[k]}`).join(';');
  return `${kind}-${createHash('sha256').update(`${kind}|${canon}|${start}`).digest('hex').slice(0, 12)}`;
}

function stripNulls(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (v !== null && k !== 'source_id' && k !== 'line') out[k] = v;
  return out;
}

export async function evidenceRows(c: Conn, d: Draft, files: Map<number, string>): Promise<EvidenceRow[]> {
  const rows = await c.all(`SELECT * FROM (${d.evidence.sql}) LIMIT ${SAMPLE_ROWS}`);
  return rows.map((r) => {
    const sourceId = typeof r.source_id === 'number' ? r.source_id : null;
    return {
      table: d.evidence.table,
      sourceId,
      file: sourceId === null ? null : (files.get(sourceId) ?? null),
      line: typeof r.line === 'number' ? r.line : null,
      values: stripNulls(r),
    };
  });
}

export async function finalize(c: Conn, drafts: Draft[]): Promise<Finding[]> {
  const files = new Map<number, string>();
  for (const s of await c.all<{ source_id: number; path: string }>('SELECT source_id, path FROM sources')) files.set(s.source_id, s.path);
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const d of drafts) {
    const id = findingId(d.kind, d.subject, d.start);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({
      id,
      kind: d.kind,
      severity: d.severity,
      title: d.title,
      summary: d.summary,
      start: isoS(d.start),
      end: isoS(Math.max(d.end, d.start)),
      subject: d.subject,
      stats: d.stats,
      evidence: { sql: d.evidence.sql, rows: await evidenceRows(c, d, files) },
    });
  }
  out.sort((a, b) => a.start.localeCompare(b.start) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  return out;
}

export async function storeFindings(c: Conn, findings: Finding[]): Promise<void> {
  for (const f of findings) {
    await c.run(
      `INSERT INTO findings VALUES ($id, $kind, $severity, $title, $summary, $start::TIMESTAMPTZ, $end::TIMESTAMPTZ,
         $subject::JSON, $stats::JSON, $sql, $rows::JSON)`,
      {
        id: f.id,
        kind: f.kind,
        severity: f.severity,
        title: f.title,
        summary: f.summary,
        start: f.start,
        end: f.end,
        subject: JSON.stringify(f.subject),
        stats: JSON.stringify(f.stats),
        sql: f.evidence.sql,
        rows: JSON.stringify(f.evidence.rows),
      },
    );
  }
}

const parse = <T>(v: unknown, dflt: T): T => {
  if (v === null || v === undefined) return dflt;
  if (typeof v === 'string') return JSON.parse(v) as T;
  return v as T;
};

export async function listFindings(db: Db): Promise<Finding[]> {
  // Reviews live in the case-state table (format 3) keyed by our deterministic ids; join when present.
  const hasReviews = await db.one<{ n: number }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'finding_reviews'");
  const review = hasReviews?.n ? 'r.status AS review_status, r.note AS review_note' : 'NULL AS review_status, NULL AS review_note';
  const join = hasReviews?.n ? 'LEFT JOIN finding_reviews r USING (finding_id)' : '';
  const rows = await db.all<Record<string, unknown>>(
    `SELECT finding_id, kind, severity, title, summary, start_ts, end_ts, subject::VARCHAR AS subject, stats::VARCHAR AS stats,
       evidence_sql, evidence_rows::VARCHAR AS evidence_rows, ${review}
     FROM findings ${join} ORDER BY start_ts, kind, finding_id`,
  );
  return rows.map((r) => ({
    id: String(r.finding_id),
    kind: r.kind as Finding['kind'],
    severity: r.severity as Finding['severity'],
    title: String(r.title),
    summary: String(r.summary),
    start: isoS(Date.parse(String(r.start_ts)) / 1000),
    end: isoS(Date.parse(String(r.end_ts)) / 1000),
    subject: parse(r.subject, {}),
    stats: parse(r.stats, {}),
    evidence: { sql: String(r.evidence_sql ?? ''), rows: parse(r.evidence_rows, []) },
    ...(r.review_status ? { review: { status: r.review_status as 'open' | 'confirmed' | 'dismissed', note: String(r.review_note ?? '') } } : {}),
  }));
}
