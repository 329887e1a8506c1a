/**
 * What the replay shows at the playhead: the engine's snapshot (tunnel tiles and counters).
 * Snapshot requests are throttled (at most one in flight, at most one per `minIntervalMs`, the
 * latest position always wins) so a 60× replay never floods the engine.
 */
import type { EpochMs, Snapshot } from '../../../src-main/shared/domain.ts';

export type SnapshotFn = (at: EpochMs, windowSeconds: number) => Promise<Snapshot>;

export class ReplayState {
  snapshot = $state.raw<Snapshot | null>(null);
  error = $state<string | null>(null);
  #inFlight = false;
  #pending: { at: EpochMs; windowSeconds: number } | null = null;
  #lastStart = -Infinity;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;
  requests = 0;

  constructor(
    private readonly fetch: SnapshotFn,
    private readonly minIntervalMs = 200,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Ask for the state at `at`; coalesces with requests already waiting. */
  request(at: EpochMs, windowSeconds: number): void {
    this.#pending = { at, windowSeconds };
    this.#pump();
  }

  #pump(): void {
    if (this.#inFlight || !this.#pending || this.#disposed || this.#timer) return;
    const wait = this.#lastStart + this.minIntervalMs - this.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#pump();
      }, wait);
      return;
    }
    const { at, windowSeconds } = this.#pending;
    this.#pending = null;
    this.#inFlight = true;
    this.#lastStart = this.now();
    this.requests++;
    this.fetch(at, windowSeconds)
      .then((s) => {
        if (this.#disposed) return;
        this.snapshot = s;
        this.error = null;
      })
      .catch((e: unknown) => {
        if (!this.#disposed) this.error = e instanceof Error ? e.message : String(e);
      })
      .finally(() => {
        this.#inFlight = false;
        this.#pump();
      });
  }

  clear(): void {
    this.snapshot = null;
    this.#pending = null;
  }

  dispose(): void {
    this.#disposed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
