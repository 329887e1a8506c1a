/**
 * The replay clock: moves the playhead through incident time at `speed` × wall-clock time,
 * driven by requestAnimationFrame. Time and frames are injected so tests can drive it by hand.
 * It writes the position into the shared workbench state (the replay position is part of the
 * saved view), so every panel follows the same playhead.
 */
import type { EpochMs } from '../../../src-main/shared/domain.ts';
import type { TimeWindow } from '../../lib/state/workbench.svelte.ts';

export interface ReplayTarget {
  replayAt: EpochMs | null;
  playing: boolean;
  speed: number;
}

export interface ClockDeps {
  now(): number;
  requestFrame(cb: (t: number) => void): number;
  cancelFrame(handle: number): void;
}

export const browserClock: ClockDeps = {
  now: () => performance.now(),
  requestFrame: (cb) => requestAnimationFrame(cb),
  cancelFrame: (h) => cancelAnimationFrame(h),
};

export class ReplayClock {
  /** Frames per second over the last second of playing (for the performance check). */
  fps = $state(0);
  #frame = 0;
  #last = 0;
  #frames: number[] = [];

  constructor(
    private readonly target: ReplayTarget,
    /** Where the playhead may go (the whole case). */
    private readonly range: () => TimeWindow | null,
    /** One step: the current bucket length. */
    private readonly stepMs: () => number,
    /** Where playing starts when there is no playhead yet (the visible window). */
    private readonly startAt: () => EpochMs | null = () => range()?.from ?? null,
    private readonly deps: ClockDeps = browserClock,
  ) {}

  get playing(): boolean {
    return this.target.playing;
  }

  play(): void {
    const r = this.range();
    if (!r) return;
    const at = this.target.replayAt;
    if (at === null || at >= r.to) this.target.replayAt = clamp(this.startAt() ?? r.from, r);
    this.target.playing = true;
    this.#last = this.deps.now();
    this.#frames = [];
    this.#schedule();
  }

  pause(): void {
    this.target.playing = false;
    if (this.#frame) this.deps.cancelFrame(this.#frame);
    this.#frame = 0;
  }

  toggle(): void {
    if (this.target.playing) this.pause();
    else this.play();
  }

  /** Step one bucket forward (+1) or back (-1), snapped to the bucket grid; pauses. */
  step(dir: 1 | -1): void {
    const r = this.range();
    if (!r) return;
    this.pause();
    const step = Math.max(1000, this.stepMs());
    const at = this.target.replayAt ?? (dir > 0 ? r.from - step : r.to + step);
    const snapped = r.from + Math.floor((at - r.from) / step) * step;
    const next = dir > 0 ? snapped + step : snapped === at ? at - step : snapped;
    this.target.replayAt = clamp(next, r);
  }

  seek(at: EpochMs): void {
    const r = this.range();
    this.target.replayAt = r ? clamp(at, r) : at;
  }

  setSpeed(speed: number): void {
    this.target.speed = Math.min(3600, Math.max(0.1, speed));
  }

  /** Advance by the wall-clock time since the last frame. Public so tests can drive frames. */
  tick(now: number): void {
    if (!this.target.playing) return;
    const r = this.range();
    const dt = Math.max(0, now - this.#last);
    this.#last = now;
    this.#frames.push(now);
    while (this.#frames.length && now - this.#frames[0]! > 1000) this.#frames.shift();
    this.fps = this.#frames.length;
    if (!r || this.target.replayAt === null) return this.pause();
    const next = this.target.replayAt + dt * this.target.speed;
    if (next >= r.to) {
      this.target.replayAt = r.to;
      this.pause();
      return;
    }
    this.target.replayAt = next;
  }

  #schedule(): void {
    this.#frame = this.deps.requestFrame((t) => {
      this.#frame = 0;
      this.tick(t);
      if (this.target.playing) this.#schedule();
    });
  }

  dispose(): void {
    this.pause();
  }
}

function clamp(t: EpochMs, r: TimeWindow): EpochMs {
  return Math.min(r.to, Math.max(r.from, t));
}

/**
 * The sliding window: while replaying a zoomed view, when the playhead leaves the window,
 * move the window (same width) so the playhead sits 10 % from its left edge.
 */
export function slideWindow(window: TimeWindow | null, at: EpochMs | null, full: TimeWindow | null): TimeWindow | null {
  if (!window || at === null) return null;
  if (at >= window.from && at <= window.to) return null;
  const span = window.to - window.from;
  let from = at - span * 0.1;
  if (full) from = Math.max(full.from, Math.min(full.to - span, from));
  return { from, to: from + span };
}
