import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Snapshot } from '../../src-main/shared/domain.ts';
import { ReplayClock, slideWindow, type ClockDeps, type ReplayTarget } from '../../src-renderer/features/replay/clock.svelte.ts';
import { ReplayState } from '../../src-renderer/features/replay/replay.svelte.ts';

const T0 = Date.parse('2026-03-14T09:00:00Z');
const MIN = 60_000;
const FULL = { from: T0, to: T0 + 60 * MIN };

/** Frames run only when the test says so, at times the test chooses. */
function manualFrames() {
  let now = 0;
  let next: ((t: number) => void) | null = null;
  let handle = 0;
  const deps: ClockDeps = {
    now: () => now,
    requestFrame: (cb) => {
      next = cb;
      return ++handle;
    },
    cancelFrame: () => {
      next = null;
    },
  };
  return {
    deps,
    /** Advance wall-clock time by ms and run one frame. */
    frame(ms: number) {
      now += ms;
      const cb = next;
      next = null;
      cb?.(now);
    },
    get scheduled() {
      return next !== null;
    },
  };
}

function setup(step = MIN) {
  const target: ReplayTarget = { replayAt: null, playing: false, speed: 1 };
  const f = manualFrames();
  const clock = new ReplayClock(target, () => FULL, () => step, () => FULL.from, f.deps);
  return { target, f, clock };
}

describe('ReplayClock', () => {
  it('plays from the start at speed × wall-clock time, frame by frame', () => {
    const { target, f, clock } = setup();
    clock.setSpeed(60);
    clock.play();
    expect(target).toMatchObject({ playing: true, replayAt: T0 });
    f.frame(1000); // one wall second at 60× = one incident minute
    expect(target.replayAt).toBe(T0 + MIN);
    f.frame(500);
    expect(target.replayAt).toBe(T0 + 1.5 * MIN);
  });

  it('pause stops the frames; play resumes from the same position without a jump', () => {
    const { target, f, clock } = setup();
    clock.setSpeed(10);
    clock.play();
    f.frame(1000);
    clock.pause();
    expect(f.scheduled).toBe(false);
    const at = target.replayAt;
    f.frame(5000); // time passes while paused
    expect(target.replayAt).toBe(at);
    clock.play();
    f.frame(100);
    expect(target.replayAt).toBe(at! + 1000);
  });

  it('stops at the end of the case, and playing again restarts from the start', () => {
    const { target, f, clock } = setup();
    clock.setSpeed(3600);
    clock.play();
    f.frame(2000); // 2 incident hours > the 1 hour case
    expect(target).toMatchObject({ replayAt: FULL.to, playing: false });
    clock.play();
    expect(target.replayAt).toBe(FULL.from);
  });

  it('steps one bucket on the bucket grid, pausing, clamped to the case', () => {
    const { target, clock } = setup(5 * MIN);
    clock.step(1);
    expect(target.replayAt).toBe(T0);
    clock.step(1);
    expect(target.replayAt).toBe(T0 + 5 * MIN);
    target.replayAt = T0 + 7 * MIN; // between buckets: back goes to the bucket start, forward to the next
    clock.step(-1);
    expect(target.replayAt).toBe(T0 + 5 * MIN);
    clock.step(-1);
    expect(target.replayAt).toBe(T0);
    clock.step(-1);
    expect(target.replayAt).toBe(T0);
    target.replayAt = FULL.to - MIN;
    clock.step(1);
    expect(target.replayAt).toBe(FULL.to);
    clock.play();
    clock.step(1);
    expect(target.playing).toBe(false);
  });

  it('clamps speed and seek', () => {
    const { target, clock } = setup();
    clock.setSpeed(1e9);
    expect(target.speed).toBe(3600);
    clock.setSpeed(0);
    expect(target.speed).toBe(0.1);
    clock.seek(T0 - 1e9);
    expect(target.replayAt).toBe(T0);
    clock.seek(T0 + 1e12);
    expect(target.replayAt).toBe(FULL.to);
  });

  it('reports frames per second while playing', () => {
    const { f, clock } = setup();
    clock.play();
    for (let i = 0; i < 30; i++) f.frame(16);
    expect(clock.fps).toBeGreaterThanOrEqual(30);
  });
});

describe('slideWindow', () => {
  it('moves a zoomed window so the playhead is 10 % from its left edge, only when the playhead left it', () => {
    const w = { from: T0, to: T0 + 10 * MIN };
    expect(slideWindow(w, T0 + 5 * MIN, FULL)).toBeNull();
    expect(slideWindow(null, T0 + 50 * MIN, FULL)).toBeNull();
    expect(slideWindow(w, T0 + 11 * MIN, FULL)).toEqual({ from: T0 + 10 * MIN, to: T0 + 20 * MIN });
    expect(slideWindow(w, T0 + 59 * MIN + 59_000, FULL)).toEqual({ from: T0 + 50 * MIN, to: T0 + 60 * MIN });
  });
});

describe('ReplayState (snapshots at the playhead)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const snap = (at: number): Snapshot => ({ at, tunnels: [], counters: { bytes: 0, rejects: 0, halfOpen: 0, synNoSynAck: 0, conversations: 0 }, activeFindings: [] });

  it('keeps one request in flight, at most one per interval, and the latest position wins', async () => {
    const asked: number[] = [];
    const rs = new ReplayState(
      async (at) => {
        asked.push(at);
        await new Promise((r) => setTimeout(r, 50));
        return snap(at);
      },
      200,
    );
    for (let i = 0; i < 60; i++) {
      rs.request(T0 + i * 1000, 60); // 60 frames in one second
      await vi.advanceTimersByTimeAsync(16);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked.length).toBeGreaterThanOrEqual(3);
    expect(asked.length).toBeLessThanOrEqual(7);
    expect(asked.at(-1)).toBe(T0 + 59_000);
    expect(rs.snapshot?.at).toBe(T0 + 59_000);
  });

  it('keeps the error as a sentence and recovers on the next answer', async () => {
    let fail = true;
    const rs = new ReplayState(async (at) => {
      if (fail) throw new Error('No investigation is open.');
      return snap(at);
    }, 0);
    rs.request(T0, 60);
    await vi.advanceTimersByTimeAsync(10);
    expect(rs.error).toBe('No investigation is open.');
    fail = false;
    rs.request(T0 + 1, 60);
    await vi.advanceTimersByTimeAsync(10);
    expect(rs.error).toBeNull();
    expect(rs.snapshot?.at).toBe(T0 + 1);
  });
});
