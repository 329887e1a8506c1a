/** What every subcommand in commands/ exports as `command`. */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes (documented in the README). */
export const EXIT = {
  ok: 0,
  /** Completed, but some lines were quarantined. */
  quarantined: 1,
  usage: 2,
  /** The command could not do its work (missing file, corrupt case, …). */
  failed: 3,
  cancelled: 130,
} as const;

