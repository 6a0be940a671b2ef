import type { Command } from '../command.js';
import { benchCommand } from './bench.js';
import { demoCommand } from './demo.js';
import { emulatorCommand } from './emulator.js';
import { generateCommand } from './generate.js';
import { runCommand } from './run.js';
import { validateCommand } from './validate.js';

/**
 * Every command `gemini-lanes` offers, in the order `--help` lists them. Each arrives with the
 * issue that builds the piece it drives; none is listed before it works.
 */
export const builtinCommands: readonly Command[] = [
  demoCommand,
  runCommand,
  emulatorCommand,
  generateCommand,
  validateCommand,
  benchCommand,
];
