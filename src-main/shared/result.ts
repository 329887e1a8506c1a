/** Errors cross every boundary (IPC, HTTP, CLI) as values, never as thrown stacks. */
export type ErrorCode =
  | 'bad-argument'
  | 'not-found'
  | 'no-case'
  | 'case-locked'
  | 'case-corrupt'
  | 'case-too-new'
  | 'unsupported-format'
  | 'cancelled'
  | 'read-only'
  | 'leak-detected'
  | 'io'
  | 's3'
  | 'internal';

export interface AppErrorValue {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppErrorValue };

/** An error whose message is a sentence a user can act on. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
  toValue(): AppErrorValue {
    return { code: this.code, message: this.message };
  }
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** Turns anything thrown into an error value; unknown errors keep their first line only. */
export function toErrorValue(e: unknown): AppErrorValue {
  if (e instanceof AppError) return e.toValue();
  const raw = e instanceof Error ? e.message : String(e);
  const first = raw.split('\n')[0]?.trim() || 'Unexpected error';
  if (/interrupt/i.test(raw)) return { code: 'cancelled', message: 'The operation was cancelled.' };
  // DuckDB checks each block of a case file as it reads it; big files are not read whole on open.
  if (/Corrupt database file|checksum/i.test(raw)) {
    return {
      code: 'case-corrupt',
      message: 'The investigation file is damaged: a part of it failed its checksum while it was read, so this cannot be shown. Open a saved copy, or import the logs into a new investigation.',
    };
  }
  return { code: 'internal', message: first };
}
