/** The one timeline state of the window, wired to the engine. */
import { call } from '../../lib/api/index.ts';
import { TimelineState } from './timeline.svelte.ts';

export const timelineState = new TimelineState((q) => call('timeline.query', q));
