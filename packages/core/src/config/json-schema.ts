import { z } from 'zod';
import { configSchema } from './schema.js';

/** A JSON Schema document (draft 2020-12), as plain JSON data. */
export type JsonSchema = z.core.JSONSchema.JSONSchema;

/**
 * The top-level key a JSON or YAML configuration file may use to name its JSON Schema. It is
 * not an option: `validateConfig` accepts it (a string) and leaves it out of the result.
 */
export const SCHEMA_KEY = '$schema';

/** The file name the schema is written under, next to the configuration or in `docs/`. */
export const CONFIG_SCHEMA_FILE = 'gemini-lanes.config.schema.json';

/**
 * The schema's identifier. A URN rather than a URL: nothing is published at a stable address
 * yet, and editors find the schema through the path in the file's own `"$schema"`, not this.
 */
export const CONFIG_SCHEMA_ID = 'urn:gemini-lanes:config';

/**
 * The JSON Schema (draft 2020-12) of what a user writes in `gemini-lanes.config.json` or
 * `.yaml`: every field with its type, constraints, default and description, defaults optional
 * (`io: 'input'`), unknown keys refused. Point a file's `"$schema"` at it for completion and
 * checks in an editor. It checks each field on its own; the rules between fields are
 * `validateConfig`'s. A fresh object on every call.
 */
export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(configSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'throw',
    override: ({ zodSchema, jsonSchema }) => restrictUrlProtocol(zodSchema, jsonSchema),
  });
  const { $schema: _draft, type: _object, properties, ...rest } = generated;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: CONFIG_SCHEMA_ID,
    title: 'gemini-lanes configuration',
    description:
      'The configuration of gemini-lanes (gemini-lanes.config.json or .yaml): the lanes, the instrumentation, the dashboards and the alerts read it. Every field is optional; `gemini-lanes validate --print` shows the resolved configuration with the defaults filled in.',
    type: 'object',
    properties: {
      [SCHEMA_KEY]: {
        type: 'string',
        description:
          'The path or URL of this JSON Schema, for completion and checks in an editor; gemini-lanes ignores it.',
      },
      ...properties,
    },
    ...rest,
  };
}

/**
 * `format: "uri"` is only an annotation in draft 2020-12 and says nothing of the scheme, while
 * `z.url({ protocol })` refuses other schemes: add the protocol check as a `pattern`, so an
 * editor flags `emulator:8089` as the validation does.
 */
function restrictUrlProtocol(schema: z.core.$ZodType, jsonSchema: JsonSchema): void {
  const def = schema._zod.def as { format?: unknown; protocol?: unknown };
  if (def.format !== 'url' || !(def.protocol instanceof RegExp)) return;
  const protocol = def.protocol.source.replace(/^\^/, '').replace(/\$$/, '');
  jsonSchema.pattern = `^(${protocol})://`;
}
