import type { Command } from '../command.js';
import { validateCommand } from './validate.js';

/**
 * Every command `gemini-lanes` offers, in the order `--help` lists them. Each arrives with the
 * issue that builds the piece it drives; none is listed before it works.
 */
export const builtinCommands: readonly Command[] = [validateCommand];
