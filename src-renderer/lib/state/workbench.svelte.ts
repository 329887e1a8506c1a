/**
 * The shared view state of the workbench: which case is open, which time window the analyst is
 * looking at, the flow filter, the selected finding, the replay position, time zone, theme and
 * the active tab. Every feature reads and writes this one object; features keep their own
 * fetched data in their own rune classes.
 *
 * Public fields are a stable surface used by other features (sources, conversations, sql, case):
 * add, do not rename.
 */
import type { CaseSummary, EpochMs, FlowFilter, ViewState } from '../../../src-main/shared/domain.ts';
import { toIso, toMs, type TimeZoneMode } from './time.ts';

export type { TimeZoneMode } from './time.ts';
export type Theme = 'light' | 'dark';
export type ViewTab = 'findings' | 'conversations' | 'sources' | 'sql' | 'notes';

/** A closed time range in epoch ms, from < to. */
export interface TimeWindow {
  from: EpochMs;
  to: EpochMs;
}

/** Which tunnel/attachment the UI emphasises (from the selected finding or a click on a tile). */
export interface Highlight {
  vpnId?: string;
  tunnelIp?: string;
  attachmentId?: string;
}

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

export const REPLAY_SPEEDS = [1, 2, 5, 10, 30, 60, 300, 900, 3600] as const;

/** Filter keys that belong to the flow filter proper (time lives in `window`). */
type FilterWithoutTime = Omit<FlowFilter, 'from' | 'to'>;

function cleanFilter(f: FlowFilter): FilterWithoutTime {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (k === 'from' || k === 'to') continue;
    if (v === undefined || v === null || v === '') continue;
    out[k] = v;
  }
  return out as FilterWithoutTime;
}

export class Workbench {
  /** The open case, or null (the empty state shows). */
  caseSummary = $state<CaseSummary | null>(null);
  /** True once startup has asked the engine for a case (whether or not one is open). */
  loaded = $state(false);

  /** Brushed/zoomed window; null = the whole case. */
  window = $state<TimeWindow | null>(null);
  /** Flow filter without time (time is `window`); use `effectiveFilter` for requests. */
  filter = $state<FilterWithoutTime>({});

  selectedFindingId = $state<string | null>(null);
  highlight = $state<Highlight | null>(null);

  /** Replay playhead (epoch ms); null = not replaying / not positioned. */
  replayAt = $state<EpochMs | null>(null);
  playing = $state(false);
  /** Incident seconds per wall-clock second. */
  speed = $state(10);

  timeZone = $state<TimeZoneMode>('utc');
  theme = $state<Theme>('light');
  tab = $state<ViewTab>('findings');

  /** Transient messages for the status line (errors as sentences, never stacks). */
  notices = $state<Notice[]>([]);
  #noticeSeq = 0;

  /** The whole case's time span, or null when the case has no timed data. */
  fullRange = $derived.by((): TimeWindow | null => {
    const c = this.caseSummary;
    if (!c?.timeMin || !c.timeMax) return null;
    const from = toMs(c.timeMin);
    const to = toMs(c.timeMax);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return null;
    return { from, to: to > from ? to : from + 60_000 };
  });

  /** What the time-centric views show: the brushed window, else the whole case. */
  visibleRange = $derived.by((): TimeWindow | null => this.window ?? this.fullRange);

  /** The flow filter with the visible window as from/to: pass this to conversations.query etc. */
  effectiveFilter = $derived.by((): FlowFilter => {
    const f: FlowFilter = { ...this.filter };
    const w = this.window;
    if (w) {
      f.from = toIso(w.from);
      f.to = toIso(w.to);
    }
    return f;
  });

  filterActive = $derived(Object.keys(this.filter).length > 0);

  // ---- case ---------------------------------------------------------------------------------

  /** A case was opened (or replaced): reset per-case view state, then apply its saved view. */
  openCase(summary: CaseSummary | null, saved: ViewState | null = null): void {
    const samePath = summary && this.caseSummary && summary.path === this.caseSummary.path;
    this.caseSummary = summary;
    this.loaded = true;
    if (samePath) return; // the same case changed (import, analysis): keep where the analyst is
    this.window = null;
    this.filter = {};
    this.selectedFindingId = null;
    this.highlight = null;
    this.replayAt = null;
    this.playing = false;
    if (saved) this.applyViewState(saved);
  }

  // ---- time window ---------------------------------------------------------------------------

  /** Zoom to [from, to]; clamps to the case, and a window covering the whole case becomes null. */
  setWindow(from: EpochMs, to: EpochMs): void {
    if (!Number.isFinite(from) || !Number.isFinite(to)) return;
    if (to < from) [from, to] = [to, from];
    if (to - from < 1000) {
      const mid = (from + to) / 2;
      from = mid - 500;
      to = mid + 500;
    }
    const full = this.fullRange;
    if (full) {
      const span = to - from;
      if (span >= full.to - full.from) {
        this.window = null;
        return;
      }
      if (from < full.from) [from, to] = [full.from, full.from + span];
      if (to > full.to) [from, to] = [full.to - span, full.to];
    }
    this.window = { from: Math.round(from), to: Math.round(to) };
  }

  /** Zoom to a range plus a margin on each side (fraction of its length, at least `minMarginMs`). */
  zoomTo(from: EpochMs, to: EpochMs, margin = 0.25, minMarginMs = 60_000): void {
    const pad = Math.max((to - from) * margin, minMarginMs);
    this.setWindow(from - pad, to + pad);
  }

  resetWindow(): void {
    this.window = null;
  }

  /** Shift the window by a fraction of its width (negative = earlier). */
  pan(fraction: number): void {
    const w = this.visibleRange;
    if (!w || !this.window) return;
    const d = (w.to - w.from) * fraction;
    this.setWindow(w.from + d, w.to + d);
  }

  // ---- filter --------------------------------------------------------------------------------

  setFilter(patch: FlowFilter): void {
    this.filter = cleanFilter({ ...this.filter, ...patch });
  }

  replaceFilter(f: FlowFilter): void {
    this.filter = cleanFilter(f);
  }

  clearFilter(): void {
    this.filter = {};
  }

  /** Esc: drop the selection first, then the filter, then the zoom. Returns whether anything changed. */
  clearOne(): boolean {
    if (this.selectedFindingId || this.highlight) {
      this.selectedFindingId = null;
      this.highlight = null;
      return true;
    }
    if (this.filterActive) {
      this.clearFilter();
      return true;
    }
    if (this.window) {
      this.resetWindow();
      return true;
    }
    return false;
  }

  /** "Show conversations": set filter and window together, then switch tab. */
  showConversations(filter: FlowFilter, window?: TimeWindow): void {
    this.replaceFilter(filter);
    if (window) this.setWindow(window.from, window.to);
    else if (filter.from && filter.to) this.setWindow(toMs(filter.from), toMs(filter.to));
    this.tab = 'conversations';
  }

  // ---- selection / replay ---------------------------------------------------------------------

  selectFinding(id: string | null, highlight: Highlight | null = null): void {
    this.selectedFindingId = id;
    this.highlight = id ? highlight : null;
  }

  /** Move the playhead (clamped to the case). */
  seek(at: EpochMs): void {
    const full = this.fullRange;
    if (full) at = Math.min(full.to, Math.max(full.from, at));
    this.replayAt = Math.round(at);
  }

  setSpeed(speed: number): void {
    this.speed = Math.min(3600, Math.max(0.1, speed));
  }

  // ---- misc ----------------------------------------------------------------------------------

  toggleTimeZone(): void {
    this.timeZone = this.timeZone === 'utc' ? 'local' : 'utc';
  }

  toggleTheme(): void {
    this.theme = this.theme === 'light' ? 'dark' : 'light';
  }

  notify(text: string, kind: Notice['kind'] = 'info', ttlMs = kind === 'error' ? 8000 : 4000): void {
    const id = ++this.#noticeSeq;
    this.notices = [...this.notices.slice(-3), { id, kind, text }];
    if (ttlMs > 0) setTimeout(() => this.dismiss(id), ttlMs);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  // ---- view state (saved in the case file) ----------------------------------------------------

  toViewState(): ViewState {
    return {
      from: this.window ? toIso(this.window.from) : null,
      to: this.window ? toIso(this.window.to) : null,
      filter: { ...this.filter },
      replayAt: this.replayAt === null ? null : toIso(this.replayAt),
      replaySpeed: this.speed,
      selectedFindingId: this.selectedFindingId,
      timeZone: this.timeZone,
    };
  }

  applyViewState(v: ViewState): void {
    const from = v.from ? toMs(v.from) : NaN;
    const to = v.to ? toMs(v.to) : NaN;
    if (Number.isFinite(from) && Number.isFinite(to)) this.setWindow(from, to);
    else this.window = null;
    this.filter = cleanFilter(v.filter ?? {});
    const at = v.replayAt ? toMs(v.replayAt) : NaN;
    this.replayAt = Number.isFinite(at) ? at : null;
    if (Number.isFinite(v.replaySpeed) && v.replaySpeed > 0) this.setSpeed(v.replaySpeed);
    this.selectedFindingId = v.selectedFindingId ?? null;
    this.timeZone = v.timeZone === 'local' ? 'local' : 'utc';
    this.playing = false;
  }

  /**
   * Save the view state whenever it changes (debounced, see ViewSaver). Returns a stop function
   * that flushes a pending save.
   */
  autoSave(save: (v: ViewState) => Promise<unknown>, delayMs = 800, maxWaitMs = 5000): () => void {
    const saver = new ViewSaver(save, delayMs, maxWaitMs);
    const stop = $effect.root(() => {
      $effect(() => {
        const v = this.toViewState();
        const c = this.caseSummary;
        if (c && !c.readOnly) saver.offer(c.path, v);
      });
    });
    return () => {
      saver.flush();
      stop();
    };
  }
}

/**
 * Debounced saving of the view state: the first state offered for a case is the one it was
 * opened with (not saved); later states are saved `delayMs` after the last change, or at most
 * `maxWaitMs` late while something (the replay) changes it every frame; identical states are
 * not saved twice.
 */
export class ViewSaver {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #firstPending = 0;
  #last = '';
  #casePath: string | null = null;
  #pending: ViewState | null = null;

  constructor(
    private readonly save: (v: ViewState) => Promise<unknown>,
    private readonly delayMs = 800,
    private readonly maxWaitMs = 5000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  offer(casePath: string, v: ViewState): void {
    const json = JSON.stringify(v);
    if (casePath !== this.#casePath) {
      this.flush();
      this.#casePath = casePath;
      this.#last = json; // the state the case opened with: nothing to save
      return;
    }
    if (json === this.#last && !this.#pending) return;
    this.#pending = v;
    const t = this.now();
    if (!this.#firstPending) this.#firstPending = t;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), t - this.#firstPending >= this.maxWaitMs ? 0 : this.delayMs);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#firstPending = 0;
    const v = this.#pending;
    this.#pending = null;
    if (!v) return;
    const json = JSON.stringify(v);
    if (json === this.#last) return;
    this.#last = json;
    this.save(v).catch(() => {
      this.#last = ''; // not saved: the next change tries again
    });
  }
}

/** The one workbench state of the window. */
export const workbench = new Workbench();
