/**
 * The investigation's state inside the case file: notes and bookmarks, saved queries, finding
 * reviews and the view. A case file may come from someone else, so every read is validated and a
 * malformed row is skipped (and counted) rather than trusted or allowed to crash the UI.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { viewState as viewStateSchema } from '../../shared/contract.ts';
import type { Annotation, AnnotationTarget, FindingReview, SavedQuery, ViewState } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import type { Db } from '../db/index.ts';

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)));
const recordTable = z.enum(['vpc_flows', 'tgw_flows', 'vpn_events', 'bgp_events', 'metric_points']);
export const annotationTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('range'), from: iso, to: iso }).strict(),
  z.object({ type: z.literal('tunnel'), vpnId: z.string().max(256), tunnelIp: z.string().max(64) }).strict(),
  z.object({ type: z.literal('finding'), findingId: z.string().max(256) }).strict(),
  z.object({ type: z.literal('conversation'), conversationId: z.string().max(256) }).strict(),
  z.object({ type: z.literal('record'), table: recordTable, sourceId: z.number().int(), line: z.number().int() }).strict(),
]);

export interface NoteInput {
  kind?: 'note' | 'bookmark';
  at: string;
  target: AnnotationTarget;
  text: string;
  tags?: string[];
}

function targetKey(t: AnnotationTarget): string | null {
  switch (t.type) {
    case 'range':
      return null;
    case 'tunnel':
      return `${t.vpnId}/${t.tunnelIp}`;
    case 'finding':
      return t.findingId;
    case 'conversation':
      return t.conversationId;
    case 'record':
      return `${t.table}:${t.sourceId}:${t.line}`;
  }
}

const isoOut = (v: unknown): string => new Date(String(v)).toISOString();

export async function addNote(db: Db, input: NoteInput): Promise<Annotation> {
  let target = annotationTargetSchema.parse(input.target) as AnnotationTarget;
  if (target.type === 'range') target = { type: 'range', from: new Date(target.from).toISOString(), to: new Date(target.to).toISOString() };
  if (Number.isNaN(Date.parse(input.at))) throw new AppError('bad-argument', `'${input.at}' is not a time (use ISO 8601, e.g. 2026-11-27T10:15:00Z).`);
  if (target.type === 'range' && Date.parse(target.to) < Date.parse(target.from)) {
    throw new AppError('bad-argument', 'The end of the note\'s time range is before its start.');
  }
  const tags = [...new Set((input.tags ?? []).map((t) => t.trim()).filter(Boolean))];
  const id = randomUUID();
  await db.run(
    `INSERT INTO annotations (id, kind, at_ts, target_type, target_key, target, text, tags)
     VALUES ($id, $kind, $at::TIMESTAMPTZ, $tt, $tk, $target::JSON, $text, from_json($tags, '["VARCHAR"]'))`,
    {
      id,
      kind: input.kind ?? 'note',
      at: new Date(input.at).toISOString(),
      tt: target.type,
      tk: targetKey(target),
      target: JSON.stringify(target),
      text: input.text,
      tags: JSON.stringify(tags),
    },
  );
  const row = (await listNotes(db)).find((n) => n.id === id);
  if (!row) throw new AppError('internal', 'The note was written but could not be read back.');
  return row;
}

interface NoteRow {
  id: string;
  kind: string;
  at: string;
  target: string;
  text: string;
  tags: string[] | null;
  created_at: string;
}

/** Notes and bookmarks in time order. Rows that do not validate (a hand-edited file) are skipped. */
export async function listNotes(db: Db): Promise<Annotation[]> {
  const rows = await db.all<NoteRow>('SELECT id, kind, at_ts AS at, target::VARCHAR AS target, text, tags, created_at FROM annotations ORDER BY at_ts, created_at, id');
  const out: Annotation[] = [];
  for (const r of rows) {
    let target: AnnotationTarget;
    try {
      target = annotationTargetSchema.parse(JSON.parse(r.target)) as AnnotationTarget;
    } catch {
      continue;
    }
    if (r.kind !== 'note' && r.kind !== 'bookmark') continue;
    out.push({
      id: r.id,
      kind: r.kind,
      at: isoOut(r.at),
      target,
      text: String(r.text ?? ''),
      tags: (r.tags ?? []).map(String),
      createdAt: isoOut(r.created_at),
    });
  }
  return out;
}

export async function removeNote(db: Db, id: string): Promise<void> {
  const hit = await db.one<{ n: number }>('SELECT count(*) AS n FROM annotations WHERE id = $id', { id });
  if (!hit?.n) throw new AppError('not-found', 'That note no longer exists (it may have been removed already).');
  await db.run('DELETE FROM annotations WHERE id = $id', { id });
}

// ---- view ----------------------------------------------------------------------------------

/** The saved view, or null when none is saved or the stored one does not validate. */
export async function getView(db: Db): Promise<ViewState | null> {
  const row = await db.one<{ state: string }>('SELECT state::VARCHAR AS state FROM view_state WHERE id = 1');
  if (!row) return null;
  try {
    return viewStateSchema.parse(JSON.parse(row.state)) as ViewState;
  } catch {
    return null;
  }
}

export async function saveView(db: Db, v: ViewState): Promise<void> {
  const parsed = viewStateSchema.parse(v);
  await db.run('INSERT OR REPLACE INTO view_state (id, state, updated_at) VALUES (1, $s::JSON, now())', { s: JSON.stringify(parsed) });
}

// ---- finding reviews -----------------------------------------------------------------------

const reviewStatus = z.enum(['open', 'confirmed', 'dismissed']);

export async function setReview(db: Db, findingId: string, review: FindingReview): Promise<void> {
  const status = reviewStatus.parse(review.status);
  await db.run('INSERT OR REPLACE INTO finding_reviews (finding_id, status, note, updated_at) VALUES ($id, $s, $n, now())', {
    id: findingId,
    s: status,
    n: review.note ?? '',
  });
}

/** Reviews by finding id; analysis attaches them to `Finding.review`. */
export async function reviewsById(db: Db): Promise<Map<string, FindingReview>> {
  const rows = await db.all<{ finding_id: string; status: string; note: string }>('SELECT finding_id, status, note FROM finding_reviews');
  const out = new Map<string, FindingReview>();
  for (const r of rows) {
    const s = reviewStatus.safeParse(r.status);
    if (s.success) out.set(r.finding_id, { status: s.data, note: String(r.note ?? '') });
  }
  return out;
}

// ---- saved queries -------------------------------------------------------------------------

export async function listSavedQueries(db: Db): Promise<SavedQuery[]> {
  const rows = await db.all<{ id: string; name: string; sql: string }>('SELECT id, name, sql FROM saved_queries ORDER BY created_at, id');
  return rows.map((r) => ({ id: `saved:${r.id}`, name: String(r.name), sql: String(r.sql), builtIn: false }));
}

export async function saveQuery(db: Db, name: string, sql: string): Promise<SavedQuery> {
  if (!name.trim() || !sql.trim()) throw new AppError('bad-argument', 'A saved query needs a name and some SQL.');
  const id = randomUUID();
  await db.run('INSERT INTO saved_queries (id, name, sql) VALUES ($id, $name, $sql)', { id, name: name.trim(), sql });
  return { id: `saved:${id}`, name: name.trim(), sql, builtIn: false };
}

export async function removeSavedQuery(db: Db, id: string): Promise<void> {
  await db.run('DELETE FROM saved_queries WHERE id = $id', { id: id.replace(/^saved:/, '') });
}
