export type { CliIo, Command, CommandContext, OptionSpec } from './command.js';
export { builtinCommands } from './commands/index.js';
export { CONFIG_FILE_NAMES, findConfigFile } from './config-discovery.js';
export { ExitCode } from './exit-codes.js';
export { main } from './main.js';
export { UsageError } from './usage-error.js';
