/** The one SourcesState of the window (jobs survive switching tabs). */
import { SourcesState } from './sources.svelte.ts';

export const sourcesState = new SourcesState();
