import type { ExitCode } from './exit-codes.js';

/** What a command may print to and read from; injected so commands run in tests without a child process. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in `--help`; say what it does and its default. */
  description: string;
  /** Placeholder in `--help`, e.g. `<file>`. */
  valueName?: string;
  multiple?: boolean;
}

export interface CommandContext {
  io: CliIo;
  /** Parsed options (only the ones the command declared). */
  options: Record<string, string | boolean | Array<string | boolean> | undefined>;
  /** Positional arguments after the command name. */
  positionals: string[];
}

/** One subcommand of `gemini-lanes`. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The synopsis after `gemini-lanes `, e.g. `validate [--config <file>]`. */
  usage: string;
  /** A paragraph or two for `--help`. */
  description?: string;
  options: Record<string, OptionSpec>;
  /** Whether positional arguments are allowed. */
  positionals?: boolean;
  /** Shown under "Examples" in `--help`. */
  examples: string[];
  run(context: CommandContext): Promise<ExitCode>;
}
