/**
 * The investigation file's state over the contract: save, notes and bookmarks, the view, finding
 * reviews, the read-only SQL console and its library, redacted sharing and the incident report.
 * (case.open/new/close live with the Workspace.)
 */
import { listFindings } from '../../engine/analysis/findings.ts';
import { redactCase } from '../../engine/case/redact.ts';
import { exportReport } from '../../engine/case/report.ts';
import { builtInQueries } from '../../engine/case/sql-library.ts';
import type { AnnotationTarget } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import type { Handlers } from '../types.ts';

export const caseHandlers: Handlers<
  | 'case.save'
  | 'notes.list'
  | 'notes.add'
  | 'notes.remove'
  | 'view.get'
  | 'view.save'
  | 'findings.review'
  | 'sql.run'
  | 'sql.library'
  | 'sql.cancel'
  | 'sql.saveQuery'
  | 'sql.removeQuery'
  | 'case.redact'
  | 'report.export'
> = {
  async 'case.save'({ path }, { ws }) {
    const written = await ws.requireSession().save(path);
    return { path: written };
  },

  async 'notes.list'(_args, { ws }) {
    return ws.requireSession().listNotes();
  },
  async 'notes.add'({ kind, at, target, text, tags }, { ws }) {
    return ws.requireSession().addNote({ kind, at, target: target as AnnotationTarget, text, tags });
  },
  async 'notes.remove'({ id }, { ws }) {
    await ws.requireSession().removeNote(id);
    return null;
  },

  async 'view.get'(_args, { ws }) {
    return ws.requireSession().getView();
  },
  async 'view.save'(view, { ws }) {
    await ws.requireSession().saveView(view);
    return null;
  },

  async 'findings.review'({ findingId, status, note }, { ws }) {
    const s = ws.requireSession();
    const finding = (await listFindings(s.db)).find((f) => f.id === findingId);
    if (!finding) throw new AppError('not-found', 'That finding is not in this investigation any more (re-run analysis to refresh the list).');
    await s.setReview(findingId, { status, note });
    return { ...finding, review: { status, note } };
  },

  async 'sql.run'({ sql, limit }, { ws }) {
    return ws.requireSession().runSql(sql, limit);
  },
  async 'sql.library'(_args, { ws }) {
    // Saved queries from the file are listed, never run: they run only when the user runs them.
    const saved = ws.current && !ws.current.isClosed ? await ws.current.savedQueries() : [];
    return [...builtInQueries, ...saved];
  },
  async 'sql.cancel'(_args, { ws }) {
    return { cancelled: ws.current ? ws.current.interruptSql() : false };
  },
  async 'sql.saveQuery'({ name, sql }, { ws }) {
    return ws.requireSession().saveQuery(name, sql);
  },
  async 'sql.removeQuery'({ id }, { ws }) {
    if (id.startsWith('builtin:')) throw new AppError('bad-argument', 'Built-in queries cannot be removed.');
    await ws.requireSession().removeSavedQuery(id);
    return null;
  },

  async 'case.redact'({ out, keepRecords, keepNotes }, { ws }) {
    const r = await redactCase(ws.requireSession(), { out, keepRecords, keepNotes });
    return { path: r.path };
  },
  async 'report.export'({ out, format }, { ws }) {
    return { path: await exportReport(ws.requireSession(), { out, format }) };
  },
};
