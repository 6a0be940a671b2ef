/** Exit codes scripts can rely on. */
export const ExitCode = {
  /** The command did what was asked. */
  ok: 0,
  /** The command ran and failed: invalid configuration, a failed run, an unreachable upstream. */
  failure: 1,
  /** The command line itself was wrong: unknown command or option, missing argument, missing config file. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
