import { access } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './usage-error.js';

/** File names searched for, in this order of preference. */
export const CONFIG_FILE_NAMES = [
  'gemini-lanes.config.ts',
  'gemini-lanes.config.mts',
  'gemini-lanes.config.mjs',
  'gemini-lanes.config.js',
  'gemini-lanes.config.json',
  'gemini-lanes.config.yaml',
  'gemini-lanes.config.yml',
] as const;

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the configuration comes from: `--config` when given (it must exist), otherwise the
 * nearest `gemini-lanes.config.*` in `cwd` or a parent directory. Two candidates in one
 * directory are ambiguous and refused rather than silently preferring one. Returns `undefined`
 * when there is none, and the caller uses the defaults.
 */
export async function findConfigFile(cwd: string, explicit?: string): Promise<string | undefined> {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!(await exists(path))) throw new UsageError(`--config: no such file: ${path}`);
    return path;
  }
  let dir = resolve(cwd);
  for (;;) {
    const found: string[] = [];
    for (const name of CONFIG_FILE_NAMES) {
      if (await exists(join(dir, name))) found.push(join(dir, name));
    }
    if (found.length > 1) {
      throw new UsageError(
        `more than one configuration file in ${dir} (${found.map((f) => f.slice(dir.length + 1)).join(', ')}); keep one or pass --config`,
      );
    }
    if (found[0] !== undefined) return found[0];
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
