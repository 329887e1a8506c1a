/**
 * The complete handler table and the one entry point both Electron IPC and the HTTP bridge use.
 * `HandlerTable` requires a handler for every contract channel, so a missing one does not compile.
 */
import { contract, type Channel } from '../shared/contract.ts';
import { fail, ok, toErrorValue, AppError, type Result } from '../shared/result.ts';
import { analysisHandlers } from './handlers/analysis.ts';
import { appHandlers } from './handlers/app.ts';
import { caseHandlers } from './handlers/case.ts';
import { ingestHandlers } from './handlers/ingest.ts';
import type { Handler, HandlerContext, HandlerTable } from './types.ts';

export const handlers: HandlerTable = {
  ...appHandlers,
  ...ingestHandlers,
  ...analysisHandlers,
  ...caseHandlers,
};

export function isChannel(name: string): name is Channel {
  return Object.hasOwn(contract, name);
}

/** How a zod issue path reads in a message: `filter.port`, `paths[2]`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/**
 * Validates `rawArgs` against the channel's schema and runs its handler. Never throws: a bad
 * argument, an unknown channel, an AppError or any other failure comes back as an error value
 * (unexpected errors keep one line for the user; the stack goes to `log`).
 */
export async function dispatch(
  channel: string,
  rawArgs: unknown,
  ctx: HandlerContext,
  log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<Result<unknown>> {
  if (typeof channel !== 'string' || !isChannel(channel)) {
    return fail('not-found', `Unknown request '${String(channel).slice(0, 100)}'. This build of Tunnelscope does not offer it.`);
  }
  const parsed = contract[channel].args.safeParse(rawArgs === undefined || rawArgs === null ? {} : rawArgs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = fieldName(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field ${issue.keys.map((k) => `'${field ? `${field}.` : ''}${k}'`).join(', ')}`;
    else if (field) message = `'${field}': ${issue.message}`;
    return fail('bad-argument', `Bad argument for ${channel}: ${message}.`);
  }
  try {
    const handler = handlers[channel] as Handler<Channel>;
    const value = await handler(parsed.data as never, ctx);
    return ok(value === undefined ? null : value);
  } catch (e) {
    if (!(e instanceof AppError)) log(`${channel} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return { ok: false, error: toErrorValue(e) };
  }
}

/** The context every front door builds: the workspace plus its event fan-out. */
export function contextFor(ws: HandlerContext['ws'], extra: Pick<HandlerContext, 'pickPath'> = {}): HandlerContext {
  return { ws, emit: (event, payload) => ws.emit(event, payload), ...extra };
}
