import { GeminiLanesError } from '@gemini-lanes/core';

/** The command line was wrong; the CLI prints the message and a pointer to `--help`, and exits 2. */
export class UsageError extends GeminiLanesError {
  /** The command whose `--help` the message points to, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super('ERR_CLI_USAGE', message);
    this.command = command;
  }
}
