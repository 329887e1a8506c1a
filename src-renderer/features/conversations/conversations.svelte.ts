/**
 * Conversations: the filter form (mirrors the shared FlowFilter so the timeline follows it), sorting,
 * a paged cache behind the virtualized table, the replay playhead scope and the detail pane.
 */
import type { ArgsOf } from '../../../src-main/shared/contract.ts';
import type { ConversationDetail, ConversationRow, FlowFilter, HandshakeState, RawRecord } from '../../../src-main/shared/domain.ts';
import { errorText, realApi, type ApiPort } from '../../lib/ui/api-port.ts';
import { cidrProblem, parseProtocol, protocolName } from '../../lib/ui/format.ts';
import { PageCache } from '../../lib/ui/page-cache.ts';
import { toIso } from '../../lib/state/time.ts';
import { workbench, type TimeWindow, type Workbench } from '../../lib/state/workbench.svelte.ts';

export const PAGE_SIZE = 200;
/**
 * At the playhead the table shows conversations active in the replay window: the bucket up to the
 * playhead, the same span the replay's tiles and counters add up (at least a minute: flow logs
 * aggregate over 60 s or more).
 */
export const MIN_PLAYHEAD_WINDOW_MS = 60_000;

export const HANDSHAKE_STATES: HandshakeState[] = ['completed', 'established', 'half-open', 'syn-no-synack', 'rejected', 'reset', 'no-tcp', 'unknown'];

export type SortColumn = keyof ConversationRow;
export interface Sort {
  column: SortColumn;
  dir: 'asc' | 'desc';
}

/** The filter form as typed (strings), before validation. */
export interface FilterDraft {
  cidr: string;
  port: string;
  protocol: string;
  action: '' | 'ACCEPT' | 'REJECT';
  state: '' | HandshakeState;
  path: string;
  capturePoint: string;
}

export type FilterWithoutTime = Omit<FlowFilter, 'from' | 'to'>;

export function draftFromFilter(f: FilterWithoutTime): FilterDraft {
  return {
    cidr: f.cidr ?? '',
    port: f.port === undefined ? '' : String(f.port),
    protocol: f.protocol === undefined ? '' : protocolName(f.protocol).replace(/^proto /, ''),
    action: f.action ?? '',
    state: f.state ?? '',
    path: f.path ?? '',
    capturePoint: f.capturePoint ?? '',
  };
}

/** Validates the form. Fields with a problem are left out of the filter and explained. */
export function filterFromDraft(d: FilterDraft): { filter: FilterWithoutTime; problems: Partial<Record<keyof FilterDraft, string>> } {
  const filter: FilterWithoutTime = {};
  const problems: Partial<Record<keyof FilterDraft, string>> = {};
  const cidr = d.cidr.trim();
  if (cidr) {
    const p = cidrProblem(cidr);
    if (p) problems.cidr = p;
    else filter.cidr = cidr;
  }
  const port = d.port.trim();
  if (port) {
    if (/^\d+$/.test(port) && Number(port) <= 65535) filter.port = Number(port);
    else problems.port = 'A port is a number from 0 to 65535.';
  }
  const proto = parseProtocol(d.protocol);
  if (proto !== null) {
    if (Number.isNaN(proto)) problems.protocol = 'Use a protocol name (TCP, UDP, ICMP, ESP) or number 0–255.';
    else filter.protocol = proto;
  }
  if (d.action) filter.action = d.action;
  if (d.state) filter.state = d.state;
  if (d.path.trim()) filter.path = d.path.trim();
  if (d.capturePoint.trim()) filter.capturePoint = d.capturePoint.trim();
  return { filter, problems };
}

/** The time the table covers: the replay window while following the playhead, else the brushed window. */
export function timeScope(window: TimeWindow | null, replayAt: number | null, followPlayhead: boolean, replayWindowMs = MIN_PLAYHEAD_WINDOW_MS): TimeWindow | null {
  if (followPlayhead && replayAt !== null) return { from: replayAt - Math.max(MIN_PLAYHEAD_WINDOW_MS, replayWindowMs), to: replayAt };
  return window;
}

export function queryArgs(filter: FilterWithoutTime, scope: TimeWindow | null, sort: Sort | null, offset: number, limit: number): ArgsOf<'conversations.query'> {
  const f: FlowFilter = { ...filter };
  if (scope) {
    f.from = toIso(scope.from);
    f.to = toIso(scope.to);
  }
  const args: ArgsOf<'conversations.query'> = { filter: f, offset, limit };
  if (sort) args.sort = { column: sort.column, dir: sort.dir };
  return args;
}

/** Header click: a new column sorts ascending (times, addresses) or descending (volumes); the same column flips. */
export function nextSort(current: Sort | null, column: SortColumn): Sort {
  if (current?.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  const descFirst = /^(bytes|packets)/.test(column);
  return { column, dir: descFirst ? 'desc' : 'asc' };
}

/** Raw records grouped for the detail pane: capture point → direction → lines. */
export function groupRecords(records: RawRecord[]): { capturePoint: string; direction: string; records: RawRecord[] }[] {
  const groups = new Map<string, { capturePoint: string; direction: string; records: RawRecord[] }>();
  for (const r of records) {
    const cp = r.capturePoint ?? r.table;
    const dir = r.direction ?? 'unknown';
    const key = `${cp}\u0000${dir}`;
    if (!groups.has(key)) groups.set(key, { capturePoint: cp, direction: dir, records: [] });
    groups.get(key)!.records.push(r);
  }
  const order = (d: string) => (d === 'forward' ? 0 : d === 'reverse' ? 1 : 2);
  return [...groups.values()].sort((a, b) => a.capturePoint.localeCompare(b.capturePoint) || order(a.direction) - order(b.direction));
}

export class ConversationsState {
  // Declared first: the $derived fields below read them (lazily).
  private api: ApiPort = realApi;
  private wb: Workbench = workbench;

  draft = $state<FilterDraft>(draftFromFilter({}));
  problems = $state<Partial<Record<keyof FilterDraft, string>>>({});
  sort = $state<Sort | null>({ column: 'firstSeen', dir: 'asc' });
  /** Follow the playhead while paused too (it always follows while playing). */
  pinToPlayhead = $state(false);
  /** Span of the replay window (the timeline's bucket), set by the view. */
  replayWindowMs = $state(MIN_PLAYHEAD_WINDOW_MS);

  /** Bumped whenever cached rows change, so rows read through `row()` re-render. */
  version = $state(0);
  total = $state<number | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Bumped when the table should scroll back to the top (new filter or sort). */
  scrollResets = $state(0);

  /** Capture points and paths seen in loaded rows, offered as filter suggestions. */
  seenCapturePoints = $state<string[]>([]);
  seenPaths = $state<string[]>([]);

  selectedId = $state<string | null>(null);
  detail = $state<ConversationDetail | null>(null);
  detailLoading = $state(false);
  detailError = $state<string | null>(null);

  followingPlayhead = $derived(this.wb.replayAt !== null && (this.wb.playing || this.pinToPlayhead));
  scope = $derived(timeScope(this.wb.window, this.wb.replayAt, this.followingPlayhead, this.replayWindowMs));
  /** Everything that defines the query; a change reloads the table. */
  queryKey = $derived(
    JSON.stringify([this.wb.caseSummary?.path ?? null, this.wb.caseSummary?.analyzedAt ?? null, this.wb.caseSummary?.sources.length ?? 0, this.wb.filter, this.scope, this.sort]),
  );

  private cache: PageCache<ConversationRow>;
  private range = { start: 0, end: 60 };
  private loadedKey = '';
  private loadedShape = '';
  private token = 0;
  private throttle: ReturnType<typeof setTimeout> | null = null;
  private lastReload = 0;

  constructor(api: ApiPort = realApi, wb: Workbench = workbench) {
    this.api = api;
    this.wb = wb;
    this.cache = this.newCache();
  }

  private newCache(): PageCache<ConversationRow> {
    const filter = { ...this.wb.filter };
    const scope = this.scope;
    const sort = this.sort ? { ...this.sort } : null;
    return new PageCache<ConversationRow>(
      (offset, limit) => this.api.call('conversations.query', queryArgs(filter, scope, sort, offset, limit)),
      PAGE_SIZE,
      24,
      () => this.onCacheChange(),
    );
  }

  private onCacheChange(): void {
    this.version++;
    if (this.cache.total !== null) this.total = this.cache.total;
    this.error = this.cache.error ? this.cache.error.message : null;
  }

  /** Row `i` if its page is loaded (reading `version` makes the caller re-render when it arrives). */
  row(i: number): ConversationRow | undefined {
    void this.version;
    return this.cache.get(i);
  }

  /** The table scrolled: load the pages for rows [start, end). */
  setRange(start: number, end: number): void {
    this.range = { start, end };
    if (this.loadedKey) void this.cache.ensure(start, end);
  }

  /**
   * Called (from an effect) when `queryKey` may have changed. The new query is fetched into a
   * fresh cache and swapped in when its first pages arrive, so rows never blank out; while the
   * replay plays, reloads are throttled to a few per second.
   */
  sync(): void {
    const key = this.queryKey;
    if (key === this.loadedKey && !this.throttle) return;
    if (this.throttle) clearTimeout(this.throttle);
    this.throttle = null;
    const wait = this.wb.playing ? Math.max(0, 300 - (Date.now() - this.lastReload)) : 0;
    if (wait > 0) this.throttle = setTimeout(() => ((this.throttle = null), void this.reload()), wait);
    else void this.reload();
  }

  /** Re-run the current query (e.g. after an import or analysis). */
  async reload(): Promise<void> {
    const key = this.queryKey;
    const shape = JSON.stringify([this.wb.filter, this.sort, this.followingPlayhead ? null : this.scope]);
    const newShape = shape !== this.loadedShape;
    this.lastReload = Date.now();
    const token = ++this.token;
    const next = this.newCache();
    const start = newShape ? 0 : this.range.start;
    const end = newShape ? Math.max(60, this.range.end - this.range.start) : this.range.end;
    this.loading = true;
    await next.ensure(start, end);
    if (token !== this.token) return;
    this.cache = next;
    this.loadedKey = key;
    this.loadedShape = shape;
    this.loading = false;
    this.total = next.total ?? 0;
    this.error = next.error ? next.error.message : null;
    if (newShape) this.scrollResets++;
    this.version++;
    this.remember(next, start, end);
  }

  private remember(cache: PageCache<ConversationRow>, start: number, end: number): void {
    const cps = new Set(this.seenCapturePoints);
    const paths = new Set(this.seenPaths);
    for (let i = start; i < end; i++) {
      const r = cache.get(i);
      if (!r) continue;
      for (const c of r.capturePoints) if (cps.size < 200) cps.add(c);
      for (const p of r.paths) if (paths.size < 200) paths.add(p);
    }
    if (cps.size !== this.seenCapturePoints.length) this.seenCapturePoints = [...cps].sort();
    if (paths.size !== this.seenPaths.length) this.seenPaths = [...paths].sort();
  }

  dispose(): void {
    if (this.throttle) clearTimeout(this.throttle);
    this.token++;
  }

  // ---- filter form ---------------------------------------------------------------------------

  /** The shared filter changed elsewhere (findings "show conversations", Esc): mirror it in the form. */
  loadDraft(f: FilterWithoutTime): void {
    const { filter } = filterFromDraft(this.draft);
    if (JSON.stringify(filter) === JSON.stringify(f) && !Object.keys(this.problems).length) return;
    this.draft = draftFromFilter(f);
    this.problems = {};
  }

  /** Push the form into the shared filter (fields with problems are explained, not sent). */
  applyDraft(): void {
    const { filter, problems } = filterFromDraft(this.draft);
    this.problems = problems;
    this.wb.replaceFilter(filter);
  }

  clearFilters(): void {
    this.draft = draftFromFilter({});
    this.problems = {};
    this.wb.clearFilter();
  }

  toggleSort(column: SortColumn): void {
    this.sort = nextSort(this.sort, column);
  }

  // ---- detail --------------------------------------------------------------------------------

  async select(row: ConversationRow | null): Promise<void> {
    this.selectedId = row?.id ?? null;
    this.detail = null;
    this.detailError = null;
    if (!row) return;
    this.detailLoading = true;
    try {
      const d = await this.api.call('conversations.get', { id: row.id });
      if (this.selectedId === row.id) this.detail = d;
    } catch (e) {
      if (this.selectedId === row.id) this.detailError = errorText(e);
    } finally {
      if (this.selectedId === row.id) this.detailLoading = false;
    }
  }
}
