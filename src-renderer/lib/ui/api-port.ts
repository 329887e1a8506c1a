/**
 * The slice of the API client the feature state classes use, injected so unit tests can pass a fake
 * engine instead of the real bridge.
 */
import { call, on } from '../api/index.ts';

export interface ApiPort {
  call: typeof call;
  on: typeof on;
}

export const realApi: ApiPort = { call, on };

/** The sentence to show for anything an API call threw. */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof (e as { message: unknown }).message === 'string') return (e as { message: string }).message;
  return String(e);
}
