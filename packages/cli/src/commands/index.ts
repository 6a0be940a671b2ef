import type { Command } from '../command.js';
import { emulatorCommand } from './emulator.js';
import { generateCommand } from './generate.js';
import { validateCommand } from './validate.js';

/**
 * Every command `gemini-lanes` offers, in the order `--help` lists them. Each arrives with the
 * issue that builds the piece it drives; none is listed before it works.
 */
export const builtinCommands: readonly Command[] = [
  emulatorCommand,
  generateCommand,
  validateCommand,
];
