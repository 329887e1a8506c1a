/** The one ConversationsState of the window (filters, scroll cache and selection survive tab switches). */
import { ConversationsState } from './conversations.svelte.ts';

export const conversationsState = new ConversationsState();
