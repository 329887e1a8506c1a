/**
 * CloudWatch Logs events of the window (FilterLogEvents, every page) into a filter-log-events
 * JSON file, one document per non-empty page, written as pages arrive (flow-log groups can be large).
 */
import { rmSync } from 'node:fs';
import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Bundle } from './bundle.ts';
import type { CallLog } from './calls.ts';

export async function collectLogGroup(
  logs: CloudWatchLogsClient,
  group: string,
  rel: string,
  window: { since: Date; until: Date },
  bundle: Bundle,
  log: CallLog,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  await log.run('logs:FilterLogEvents', group, async (o) => {
    bundle.startPages(rel);
    let token: string | undefined;
    do {
      const r = await logs.send(
        new FilterLogEventsCommand({ logGroupName: group, startTime: window.since.getTime(), endTime: window.until.getTime(), nextToken: token }),
        { abortSignal: signal },
      );
      o.pages++;
      const events = r.events ?? [];
      // The service may return empty pages with a token while it searches on; they say nothing.
      if (events.length) bundle.appendPage(rel, { events, searchedLogStreams: r.searchedLogStreams ?? [] });
      o.items += events.length;
      token = r.nextToken;
    } while (token);
    if (o.items > 0) o.file = rel;
    else rmSync(bundle.path(rel), { force: true });
    total = o.items;
  }, signal);
  return total;
}
