/** The one SqlState of the window (the editor text and last result survive tab switches). */
import { SqlState } from './sql.svelte.ts';

export const sqlState = new SqlState();
