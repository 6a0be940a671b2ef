import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { crossFieldIssues } from './cross-field.js';
import { formatValue, formatZodIssues } from './issue-format.js';
import { SCHEMA_KEY } from './json-schema.js';
import { configSchema, type GeminiLanesConfig, type GeminiLanesConfigInput } from './schema.js';

export type ConfigValidation =
  | { ok: true; config: GeminiLanesConfig }
  | { ok: false; issues: ConfigIssue[] };

/**
 * Checks a configuration and fills in the defaults. Returns every problem at once (never just
 * the first), each naming its field and value; cross-field rules run once every field is valid.
 */
export function validateConfig(input: unknown): ConfigValidation {
  const { options, issues: schemaKeyIssues } = withoutSchemaKey(input ?? {});
  const parsed = configSchema.safeParse(options, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      issues: [...schemaKeyIssues, ...formatZodIssues(parsed.error.issues, knownKeysAt)],
    };
  }
  if (schemaKeyIssues.length > 0) return { ok: false, issues: schemaKeyIssues };
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

/**
 * A JSON or YAML file names its JSON Schema in a top-level `"$schema"` (editors read it for
 * completion and checks): accepted as a string and set aside, so it is not an unknown option and
 * not part of the resolved configuration.
 */
function withoutSchemaKey(input: unknown): { options: unknown; issues: ConfigIssue[] } {
  if (typeof input !== 'object' || input === null || !Object.hasOwn(input, SCHEMA_KEY)) {
    return { options: input, issues: [] };
  }
  const { [SCHEMA_KEY]: schema, ...options } = input as Record<string, unknown>;
  const issues: ConfigIssue[] =
    typeof schema === 'string'
      ? []
      : [
          {
            path: SCHEMA_KEY,
            message: `must be a string: the path or URL of the JSON Schema (got ${formatValue(schema)})`,
          },
        ];
  return { options, issues };
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
