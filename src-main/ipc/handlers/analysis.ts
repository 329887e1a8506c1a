/** Analysis, timeline, findings, conversations, records and route explanations. */
import type { Db } from '../../engine/db/index.ts';
import {
  explainRoutes,
  getConversation,
  getRecords,
  listFindings,
  queryConversations,
  queryTimeline,
  snapshotAt,
} from '../../engine/analysis/index.ts';
import type { ConversationRow } from '../../shared/domain.ts';
import type { HandlerContext, Handlers } from '../types.ts';

/**
 * A case that has records but was never analysed (an older file, or an analysis that failed) is
 * analysed on first look, so the views are never silently empty.
 */
async function ensureAnalyzed(db: Db, ctx: HandlerContext): Promise<void> {
  const r = await db.one<{ analyzed: string | null; n: boolean }>(
    `SELECT (SELECT value FROM meta WHERE key = 'analyzed_at') AS analyzed,
       EXISTS (SELECT 1 FROM vpc_flows) OR EXISTS (SELECT 1 FROM tgw_flows) OR EXISTS (SELECT 1 FROM metric_points)
         OR EXISTS (SELECT 1 FROM vpn_events) OR EXISTS (SELECT 1 FROM bgp_events) AS n`,
  );
  if (r && !r.analyzed && r.n) {
    const res = await ctx.ws.analyze();
    ctx.emit('analysis.done', { findings: res.findings.length, elapsedMs: res.elapsedMs });
  }
}

export const analysisHandlers: Handlers<
  'analysis.run' | 'timeline.query' | 'timeline.snapshot' | 'findings.list' | 'conversations.query' | 'conversations.get' | 'records.get' | 'routes.explain'
> = {
  async 'analysis.run'(_args, ctx) {
    const res = await ctx.ws.analyze();
    ctx.emit('analysis.done', { findings: res.findings.length, elapsedMs: res.elapsedMs });
    return { findings: res.findings.length, elapsedMs: res.elapsedMs };
  },
  async 'timeline.query'(args, ctx) {
    const db = ctx.ws.requireDb();
    await ensureAnalyzed(db, ctx);
    return queryTimeline(db, args);
  },
  async 'timeline.snapshot'({ at, windowSeconds }, ctx) {
    const db = ctx.ws.requireDb();
    await ensureAnalyzed(db, ctx);
    return snapshotAt(db, at, windowSeconds);
  },
  async 'findings.list'(_args, ctx) {
    const db = ctx.ws.requireDb();
    await ensureAnalyzed(db, ctx);
    return listFindings(db);
  },
  async 'conversations.query'({ filter, sort, offset, limit }, ctx) {
    const db = ctx.ws.requireDb();
    await ensureAnalyzed(db, ctx);
    return queryConversations(db, { filter, sort: sort ? { column: sort.column as keyof ConversationRow, dir: sort.dir } : undefined, offset, limit });
  },
  async 'conversations.get'({ id }, ctx) {
    return getConversation(ctx.ws.requireDb(), id);
  },
  async 'records.get'({ refs }, ctx) {
    return getRecords(ctx.ws.requireDb(), refs);
  },
  async 'routes.explain'({ prefix, at }, ctx) {
    return explainRoutes(ctx.ws.requireDb(), prefix, at);
  },
};
