/**
 * The process boundary, stated once. Every request the renderer may make: its argument schema
 * (validated at run time before it reaches the engine) and its result type. Main's handler table,
 * the preload bridge, the HTTP bridge and the renderer client are all derived from this object,
 * so a request without a handler does not compile.
 */
import { z } from 'zod';
import type {
  Annotation,
  CaseSummary,
  ConversationDetail,
  ConversationPage,
  Finding,
  IngestProgress,
  IngestSummary,
  QuarantineRow,
  RawRecord,
  RouteExplanation,
  SavedQuery,
  Snapshot,
  SqlResult,
  TimelineResult,
  ViewState,
} from './domain.ts';
import { channelNames, eventNameList, type ChannelName, type EventNameString } from './channels.ts';

/** A request: its argument schema and (type-only) result. */
function request<A extends z.ZodType>(args: A) {
  return { returns: <R>() => ({ args, result: undefined as unknown as R }) };
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'expected an ISO 8601 time' });
const path = z.string().min(1).max(4096);

export const flowFilter = z
  .object({
    from: iso.optional(),
    to: iso.optional(),
    cidr: z.string().max(64).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    protocol: z.number().int().min(0).max(255).optional(),
    action: z.enum(['ACCEPT', 'REJECT']).optional(),
    state: z.enum(['completed', 'half-open', 'syn-no-synack', 'rejected', 'reset', 'established', 'no-tcp', 'unknown']).optional(),
    path: z.string().max(128).optional(),
    capturePoint: z.string().max(128).optional(),
  })
  .strict();

const recordTable = z.enum(['vpc_flows', 'tgw_flows', 'vpn_events', 'bgp_events', 'metric_points']);

const annotationTarget = z.discriminatedUnion('type', [
  z.object({ type: z.literal('range'), from: iso, to: iso }),
  z.object({ type: z.literal('tunnel'), vpnId: z.string(), tunnelIp: z.string() }),
  z.object({ type: z.literal('finding'), findingId: z.string() }),
  z.object({ type: z.literal('conversation'), conversationId: z.string() }),
  z.object({ type: z.literal('record'), table: recordTable, sourceId: z.number().int(), line: z.number().int() }),
]);

export const viewState = z
  .object({
    from: iso.nullable(),
    to: iso.nullable(),
    filter: flowFilter,
    replayAt: iso.nullable(),
    replaySpeed: z.number().min(0.1).max(3600),
    selectedFindingId: z.string().nullable(),
    timeZone: z.enum(['utc', 'local']),
  })
  .strict();

const none = z.object({}).strict();

export const contract = {
  'app.info': request(none).returns<{ version: string; formatVersion: number; mode: 'electron' | 'browser'; demoAvailable: boolean }>(),
  /** Desktop only: a native open/save dialog; [] when cancelled. Browser mode answers an error (type the path instead). */
  'app.pickPath': request(
    z.object({ kind: z.enum(['open-case', 'import-files', 'import-folder', 'save-case', 'save-report', 'save-shared']), defaultName: z.string().max(255).optional() }).strict(),
  ).returns<{ paths: string[] }>(),

  'case.current': request(none).returns<CaseSummary | null>(),
  'case.open': request(z.object({ path }).strict()).returns<CaseSummary>(),
  'case.openDemo': request(none).returns<CaseSummary>(),
  'case.new': request(z.object({ path: path.optional() }).strict()).returns<CaseSummary>(),
  'case.save': request(z.object({ path: path.optional() }).strict()).returns<{ path: string }>(),
  'case.close': request(none).returns<null>(),

  'ingest.start': request(
    z
      .object({
        paths: z.array(path).min(1).max(10_000),
        format: z.string().max(4096).optional(),
        attribute: z.array(z.object({ series: z.string(), vpnId: z.string(), tunnelIp: z.string() })).optional(),
      })
      .strict(),
  ).returns<{ jobId: string }>(),
  'ingest.s3': request(
    z
      .object({
        uri: z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, { message: 'expected s3://bucket/prefix' }),
        since: iso,
        until: iso,
        profile: z.string().max(128).optional(),
        region: z.string().max(32).optional(),
        endpointUrl: z.string().url().max(2048).optional(),
        pathStyle: z.boolean().optional(),
        format: z.string().max(4096).optional(),
      })
      .strict(),
  ).returns<{ jobId: string }>(),
  'ingest.cancel': request(z.object({ jobId: z.string() }).strict()).returns<{ cancelled: boolean }>(),
  'quarantine.list': request(
    z.object({ sourceId: z.number().int().optional(), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
  ).returns<{ total: number; rows: QuarantineRow[] }>(),

  'analysis.run': request(none).returns<{ findings: number; elapsedMs: number }>(),
  'timeline.query': request(
    z.object({ from: iso.optional(), to: iso.optional(), maxBuckets: z.number().int().min(10).max(5000).optional(), filter: flowFilter.optional() }).strict(),
  ).returns<TimelineResult>(),
  'timeline.snapshot': request(z.object({ at: iso, windowSeconds: z.number().int().min(1).max(86400).optional() }).strict()).returns<Snapshot>(),
  'findings.list': request(none).returns<Finding[]>(),
  'findings.review': request(
    z.object({ findingId: z.string(), status: z.enum(['open', 'confirmed', 'dismissed']), note: z.string().max(10_000).default('') }).strict(),
  ).returns<Finding>(),
  'conversations.query': request(
    z
      .object({
        filter: flowFilter.optional(),
        sort: z.object({ column: z.string().max(32), dir: z.enum(['asc', 'desc']) }).strict().optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(5000).default(200),
      })
      .strict(),
  ).returns<ConversationPage>(),
  'conversations.get': request(z.object({ id: z.string().max(256) }).strict()).returns<ConversationDetail>(),
  'records.get': request(z.object({ refs: z.array(z.object({ table: recordTable, sourceId: z.number().int(), line: z.number().int() }).strict()).min(1).max(500) }).strict()).returns<RawRecord[]>(),
  'routes.explain': request(z.object({ prefix: z.string().max(64), at: iso.optional() }).strict()).returns<RouteExplanation>(),

  'sql.run': request(z.object({ sql: z.string().min(1).max(100_000), limit: z.number().int().min(1).max(100_000).default(10_000) }).strict()).returns<SqlResult>(),
  'sql.library': request(none).returns<SavedQuery[]>(),
  'sql.cancel': request(none).returns<{ cancelled: boolean }>(),
  'sql.saveQuery': request(z.object({ name: z.string().min(1).max(200), sql: z.string().min(1).max(100_000) }).strict()).returns<SavedQuery>(),
  'sql.removeQuery': request(z.object({ id: z.string().max(256) }).strict()).returns<null>(),

  'notes.list': request(none).returns<Annotation[]>(),
  'notes.add': request(
    z
      .object({ kind: z.enum(['note', 'bookmark']).default('note'), at: iso, target: annotationTarget, text: z.string().max(20_000), tags: z.array(z.string().max(64)).max(50).default([]) })
      .strict(),
  ).returns<Annotation>(),
  'notes.remove': request(z.object({ id: z.string() }).strict()).returns<null>(),
  'view.get': request(none).returns<ViewState | null>(),
  'view.save': request(viewState).returns<null>(),

  'case.redact': request(z.object({ out: path, keepRecords: z.boolean().default(true), keepNotes: z.boolean().default(true) }).strict()).returns<{ path: string }>(),
  'report.export': request(z.object({ out: path, format: z.enum(['html', 'md']).default('html') }).strict()).returns<{ path: string }>(),
} as const;

export type Contract = typeof contract;
export type Channel = keyof Contract;
export type ArgsOf<C extends Channel> = z.input<Contract[C]['args']>;
export type ParsedArgsOf<C extends Channel> = z.output<Contract[C]['args']>;
export type ResultOf<C extends Channel> = Contract[C]['result'];
/** From the zod-free list in channels.ts (the preload imports that one); checked equal to the keys below. */
export const channels: readonly Channel[] = channelNames;

/** Events main pushes to every window / browser client. */
export interface Events {
  'ingest.progress': IngestProgress;
  'ingest.done': IngestSummary;
  'case.changed': CaseSummary | null;
  'analysis.done': { findings: number; elapsedMs: number };
  'menu.command': { command: 'open' | 'import-files' | 'import-folder' | 'save' | 'save-as' | 'export-report' | 'export-shared' | 'toggle-theme' };
}
export type EventName = keyof Events;
export const eventNames: readonly EventName[] = eventNameList;

// channels.ts must list exactly the contract's requests and events: a mismatch does not compile.
type SameSet<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const channelListMatches: SameSet<ChannelName, Channel> = true;
const eventListMatches: SameSet<EventNameString, EventName> = true;
void channelListMatches;
void eventListMatches;
