/** The one NotesState of the window. */
import { NotesState } from './notes.svelte.ts';

export const notesState = new NotesState();
