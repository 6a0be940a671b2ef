import type { Command } from '../command.js';

/**
 * Every command `gemini-lanes` offers, in the order `--help` lists them. Each arrives with the
 * issue that builds the piece it drives (`validate` with the configuration, `emulator` with the
 * emulator, ...); none is listed before it works.
 */
export const builtinCommands: readonly Command[] = [];
