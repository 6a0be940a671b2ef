import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { crossFieldIssues } from './cross-field.js';
import { formatZodIssues } from './issue-format.js';
import { configSchema, type GeminiLanesConfig, type GeminiLanesConfigInput } from './schema.js';

export type ConfigValidation =
  | { ok: true; config: GeminiLanesConfig }
  | { ok: false; issues: ConfigIssue[] };

/**
 * Checks a configuration and fills in the defaults. Returns every problem at once (never just
 * the first), each naming its field and value; cross-field rules run once every field is valid.
 */
export function validateConfig(input: unknown): ConfigValidation {
  const parsed = configSchema.safeParse(input ?? {}, { reportInput: true });
  if (!parsed.success) {
    return { ok: false, issues: formatZodIssues(parsed.error.issues, knownKeysAt) };
  }
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, config: deepFreeze(parsed.data) };
}

/**
 * The resolved, immutable configuration for `input`, defaults filled in; throws `ConfigError`
 * listing every problem. The same object can be passed to the lanes, the instrumentation and
 * the dashboard and rule generators, so they can never disagree.
 */
export function defineConfig(input: GeminiLanesConfigInput = {}): GeminiLanesConfig {
  const result = validateConfig(input);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

type AnySchema = z.core.$ZodType;

/** The option names the schema allows at `path`, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  let schema: AnySchema | undefined = configSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    const def = schema?._zod.def as unknown as Record<string, unknown> | undefined;
    if (def === undefined) return [];
    if (def.type === 'object') schema = (def.shape as Record<string, AnySchema>)[String(segment)];
    else if (def.type === 'record') schema = def.valueType as AnySchema;
    else if (def.type === 'array') schema = def.element as AnySchema;
    else return [];
  }
  const def = unwrap(schema)?._zod.def as unknown as Record<string, unknown> | undefined;
  return def?.type === 'object' ? Object.keys(def.shape as object) : [];
}

function unwrap(schema: AnySchema | undefined): AnySchema | undefined {
  let current = schema;
  for (;;) {
    const def = current?._zod.def as unknown as { type: string; innerType?: AnySchema } | undefined;
    if (
      def?.innerType === undefined ||
      !['default', 'prefault', 'optional', 'nullable'].includes(def.type)
    ) {
      return current;
    }
    current = def.innerType;
  }
}
