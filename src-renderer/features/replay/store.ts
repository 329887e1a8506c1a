/** The replay clock and snapshot state of the window, wired to the shared workbench and the engine. */
import { call } from '../../lib/api/index.ts';
import { workbench } from '../../lib/state/workbench.svelte.ts';
import { toIso } from '../../lib/state/time.ts';
import { timelineState } from '../timeline/store.ts';
import { ReplayClock } from './clock.svelte.ts';
import { ReplayState } from './replay.svelte.ts';

export const replayClock = new ReplayClock(
  workbench,
  () => workbench.fullRange,
  () => timelineState.stepMs,
  () => workbench.visibleRange?.from ?? null,
);

export const replayState = new ReplayState((at, windowSeconds) => call('timeline.snapshot', { at: toIso(at), windowSeconds }));
