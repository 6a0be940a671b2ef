import { ConfigError, type GeminiLanesConfig, validateConfig } from '@gemini-lanes/core';
import { loadConfigFile } from '@gemini-lanes/core/load';
import { findConfigFile } from './config-discovery.js';

/** The configuration a command runs with and where it came from (`undefined`: the defaults). */
export interface ResolvedConfig {
  config: GeminiLanesConfig;
  file: string | undefined;
}

/**
 * `--config`, else the nearest `gemini-lanes.config.*`, else the defaults. Throws `ConfigError`
 * (exit 1, every problem listed) or `UsageError` for a `--config` that does not exist (exit 2).
 */
export async function resolveConfig(cwd: string, explicit: unknown): Promise<ResolvedConfig> {
  const file = await findConfigFile(cwd, typeof explicit === 'string' ? explicit : undefined);
  if (file !== undefined) return { config: await loadConfigFile(file), file };
  const result = validateConfig({});
  if (!result.ok) throw new ConfigError(result.issues);
  return { config: result.config, file: undefined };
}
