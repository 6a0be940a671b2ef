import { createRequire } from 'node:module';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isGeminiLanesError } from '@gemini-lanes/core';
import type { CliIo, Command } from './command.js';
import { builtinCommands } from './commands/index.js';
import { ExitCode } from './exit-codes.js';
import { commandHelp, programHelp } from './help.js';
import { UsageError } from './usage-error.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/**
 * Runs `gemini-lanes` with the given arguments and returns the exit code; never calls
 * `process.exit`, so it can be driven from tests and from other programs.
 */
export async function main(
  argv: readonly string[],
  io: CliIo,
  commands: readonly Command[] = builtinCommands,
): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const target = first === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(target ? commandHelp(target) : programHelp(commands, version));
    return ExitCode.ok;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${version}\n`);
    return ExitCode.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    const hint = first.startsWith('-') ? `unknown option '${first}'` : `unknown command '${first}'`;
    return usageFailure(io, new UsageError(hint));
  }

  try {
    const parsed = parseCommandLine(command, rest);
    if (parsed.help) {
      io.stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    return await command.run({ io, options: parsed.options, positionals: parsed.positionals });
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(io, error, command.name);
    const label = isGeminiLanesError(error) ? ` [${error.code}]` : '';
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`gemini-lanes ${command.name}: ${message}${label}\n`);
    if (io.env.GEMINI_LANES_DEBUG && error instanceof Error && error.stack) {
      io.stderr.write(`${error.stack}\n`);
    }
    return ExitCode.failure;
  }
}

function parseCommandLine(command: Command, args: string[]) {
  const options: NonNullable<ParseArgsConfig['options']> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options,
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (error) {
    // parseArgs' messages are good ("Unknown option '--x'"); they only need our framing.
    throw new UsageError(error instanceof Error ? error.message : String(error), command.name);
  }
  const { help, ...rest } = parsed.values;
  return { help: help === true, options: rest, positionals: parsed.positionals };
}

function usageFailure(io: CliIo, error: UsageError, commandName?: string): ExitCode {
  const name = error.command ?? commandName;
  const where = name ? `gemini-lanes ${name}` : 'gemini-lanes';
  io.stderr.write(`${where}: ${error.message}\nRun '${where} --help' for usage.\n`);
  return ExitCode.usage;
}
