import type { Command, OptionSpec } from './command.js';

const PROGRAM = 'gemini-lanes';

function optionLabel(name: string, spec: OptionSpec): string {
  const short = spec.short ? `-${spec.short}, ` : '    ';
  const value = spec.type === 'string' ? ` ${spec.valueName ?? '<value>'}` : '';
  return `${short}--${name}${value}`;
}

function table(rows: Array<[string, string]>): string {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
}

/** `gemini-lanes --help`: what the tool is and its commands. */
export function programHelp(commands: readonly Command[], version: string): string {
  const list =
    commands.length > 0
      ? table(commands.map((c) => [c.name, c.summary]))
      : '  (none yet in this version)';
  return `${PROGRAM} ${version}: run Gemini with a latency lane and a throughput lane, instrumented,
dashboarded and alerted from one configuration.

Usage:
  ${PROGRAM} <command> [options]
  ${PROGRAM} <command> --help

Commands:
${list}

Options:
${table([
  ['-h, --help', 'show this help'],
  ['-v, --version', 'print the version'],
])}

Configuration is read from --config <file>, or else from the nearest gemini-lanes.config.(ts|mts|mjs|js|json|yaml|yml)
in the current directory or a parent; without one, the defaults apply.

Exit codes: 0 ok, 1 failure, 2 usage error.
`;
}

/** `gemini-lanes <command> --help`. */
export function commandHelp(command: Command): string {
  const options = table([
    ...Object.entries(command.options).map(
      ([name, spec]) => [optionLabel(name, spec), spec.description] as [string, string],
    ),
    ['-h, --help', 'show this help'],
  ]);
  const description = command.description ? `\n${command.description.trim()}\n` : '';
  const examples =
    command.examples.length > 0
      ? `\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n`
      : '';
  return `Usage: ${PROGRAM} ${command.usage}

${command.summary}
${description}
Options:
${options}
${examples}`;
}
