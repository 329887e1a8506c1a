/** Imports run as jobs in the Workspace; progress and the summary arrive as events. */
import type { QuarantineRow } from '../../shared/domain.ts';
import { AppError } from '../../shared/result.ts';
import type { Handlers } from '../types.ts';

export const ingestHandlers: Handlers<'ingest.start' | 'ingest.s3' | 'ingest.cancel' | 'quarantine.list'> = {
  async 'ingest.start'({ paths, format, attribute }, { ws }) {
    return ws.startIngest(paths, { format, attribute });
  },
  async 'ingest.s3'({ uri, since, until, profile, region, endpointUrl, pathStyle, format }, { ws }) {
    if (Date.parse(since) >= Date.parse(until)) throw new AppError('bad-argument', 'The start of the window (since) must be before its end (until).');
    return ws.startS3Ingest({
      uris: [uri],
      since: new Date(since),
      until: new Date(until),
      profile,
      region,
      endpointUrl,
      forcePathStyle: pathStyle,
      ingest: format ? { format } : {},
    });
  },
  async 'ingest.cancel'({ jobId }, { ws }) {
    return { cancelled: ws.cancelIngest(jobId) };
  },
  async 'quarantine.list'({ sourceId, offset, limit }, { ws }) {
    const db = ws.requireDb();
    const where = sourceId === undefined ? '' : 'WHERE source_id = $sourceId';
    const params: Record<string, number> = sourceId === undefined ? {} : { sourceId };
    const total = await db.one<{ n: number }>(`SELECT count(*)::BIGINT AS n FROM quarantine ${where}`, params);
    const rows = await db.all<QuarantineRow>(
      `SELECT source_id AS "sourceId", file, line, raw, reason FROM quarantine ${where}
       ORDER BY source_id, line NULLS FIRST LIMIT $limit OFFSET $offset`,
      { ...params, limit, offset },
    );
    return { total: Number(total?.n ?? 0), rows };
  },
};
