import { crossFieldRules } from './cross-field.js';
import {
  CONFIG_SCHEMA_FILE,
  configJsonSchema,
  type JsonSchema,
  SCHEMA_KEY,
} from './json-schema.js';

/** The command that writes the reference and the schema. */
const REGENERATE = 'gemini-lanes generate config-reference';

/** A default longer than this is shown as a JSON block under its table, not in the cell. */
const INLINE_DEFAULT_MAX = 40;

/** One object of the configuration: a heading, its description and a table of its fields. */
interface Section {
  path: string;
  /** Heading level: 2 for a top-level field, one more for each object it sits in (at most 4). */
  level: number;
  description: string;
  rows: Row[];
}

interface Row {
  path: string;
  /** The section that documents the object this field holds. */
  section?: string;
  type: string;
  default: unknown;
  /** Must be given whenever the object around it is. */
  required: boolean;
  description: string;
}

/**
 * The configuration reference in Markdown, generated from the schema's JSON Schema: how to
 * write and check a configuration, the rules between fields, then one section per object
 * (`quota`, `quota.models.<model>`, `lanes.latency.endpoints[]`, ...) with a table of its
 * fields: path, type and constraints, default, description. The same output for the same schema.
 */
export function configReferenceMarkdown(): string {
  const [root, ...sections] = sectionsOf(configJsonSchema(), '', 1);
  const fields = (root?.rows ?? []).filter((row) => row.path !== SCHEMA_KEY);
  return [
    intro(),
    '## Top-level fields',
    '',
    'Objects have their own sections below.',
    '',
    table(fields),
    ...sections.flatMap((section) => [
      `${'#'.repeat(section.level)} ${code(section.path)}`,
      '',
      section.description,
      '',
      table(section.rows),
    ]),
  ].join('\n');
}

/**
 * The section of an object schema, then the sections of the objects inside it, in the order of
 * its fields: a section comes right before those of its own children.
 */
function sectionsOf(schema: JsonSchema, path: string, level: number): Section[] {
  const section: Section = { path, level, description: schema.description ?? '', rows: [] };
  const below: Section[] = [];
  const required = new Set(schema.required ?? []);
  for (const [key, value] of Object.entries(schema.properties ?? {})) {
    if (!isSchema(value)) continue;
    const fieldPath = path === '' ? key : `${path}.${key}`;
    const child = objectInside(value, fieldPath);
    section.rows.push(row(fieldPath, value, required.has(key), child?.path));
    const values = recordValue(value);
    if (child !== undefined)
      below.push(...sectionsOf(child.schema, child.path, Math.min(4, level + 1)));
    else if (values !== undefined) {
      // A record of plain values (`prometheus.selectors`): one row for its entries.
      section.rows.push(row(`${fieldPath}.${placeholder(value)}`, values, false));
    }
  }
  return [section, ...below];
}

/**
 * The object a field holds, as a section: the field itself, its list's items or its record's
 * values. A section for items or values opens with the field's description, then theirs.
 */
function objectInside(
  schema: JsonSchema,
  path: string,
): { schema: JsonSchema; path: string } | undefined {
  if (hasProperties(schema)) return { schema, path };
  const items = schema.type === 'array' && isSchema(schema.items) ? schema.items : undefined;
  const values = recordValue(schema);
  const inner = items ?? values;
  if (!hasProperties(inner)) return undefined;
  const description = [schema.description, inner.description].filter(Boolean).join(' ');
  return {
    schema: { ...inner, description },
    path: items ? `${path}[]` : `${path}.${placeholder(schema)}`,
  };
}

function row(path: string, schema: JsonSchema, required: boolean, section?: string): Row {
  return {
    path,
    ...(section === undefined ? {} : { section }),
    type: typeOf(schema),
    default: schema.default,
    required,
    description: schema.description ?? '',
  };
}

/** The table of a section's fields; defaults too long for a cell follow it as JSON blocks. */
function table(rows: readonly Row[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const out = [
    line(['field', 'type', 'default', 'description']),
    line(['---', '---', '---', '---']),
  ];
  const long: Row[] = [];
  for (const r of rows) {
    const field =
      r.section === undefined ? code(r.path) : `[${code(r.path)}](#${anchor(r.section)})`;
    const json = JSON.stringify(r.default);
    let value: string;
    if (json === undefined) value = r.required ? '*required*' : '–';
    else if (json.length > INLINE_DEFAULT_MAX) {
      value = 'below';
      long.push(r);
    } else value = code(json);
    out.push(line([field, r.type, value, r.description]));
  }
  out.push('');
  for (const r of long) {
    out.push(
      `Default of ${code(r.path)}:`,
      '',
      '```json',
      JSON.stringify(r.default, null, 2),
      '```',
      '',
    );
  }
  return out.join('\n');
}

/** A type with its constraints: `integer > 0`, `number in [0, 1)`, `"aimd" | "gradient"`. */
function typeOf(schema: JsonSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((v) => code(JSON.stringify(v))).join(' | ');
  const record = recordValue(schema);
  if (record !== undefined) {
    const keys = isSchema(schema.propertyNames) ? schema.propertyNames : {};
    const keyRule = keys.pattern === undefined ? '' : ` (matching ${code(keys.pattern)})`;
    return `map of ${code(placeholder(schema))}${keyRule} to ${hasProperties(record) ? 'object' : typeOf(record)}`;
  }
  switch (schema.type) {
    case 'object':
      return 'object';
    case 'array': {
      const items = isSchema(schema.items) ? typeOf(schema.items) : 'value';
      const size = schema.minItems === undefined ? '' : `, at least ${schema.minItems}`;
      return `list of ${hasProperties(schema.items) ? 'objects' : items}${size}`;
    }
    case 'integer':
    case 'number':
      return `${schema.type}${bounds(schema)}`;
    case 'string':
      return stringType(schema);
    case 'boolean':
      return 'boolean';
    default:
      throw new Error(`configReferenceMarkdown: no wording for ${JSON.stringify(schema)}`);
  }
}

function stringType(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.format === 'uri') parts.push('URL');
  else if (schema.title !== undefined) parts.push(schema.title);
  else parts.push('string');
  if (schema.minLength !== undefined && schema.pattern === undefined) {
    parts.push(
      schema.minLength === 1 ? '(non-empty)' : `(at least ${schema.minLength} characters)`,
    );
  }
  if (schema.pattern !== undefined) parts.push(`matching ${code(schema.pattern)}`);
  return parts.join(' ');
}

/** ` > 0`, ` ≥ 0`, ` in [0, 1)`; JavaScript's safe-integer limits say nothing to a user. */
function bounds(schema: JsonSchema): string {
  const lower =
    typeof schema.exclusiveMinimum === 'number'
      ? { value: schema.exclusiveMinimum, open: true }
      : schema.minimum !== undefined && schema.minimum > Number.MIN_SAFE_INTEGER
        ? { value: schema.minimum, open: false }
        : undefined;
  const upper =
    typeof schema.exclusiveMaximum === 'number'
      ? { value: schema.exclusiveMaximum, open: true }
      : schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER
        ? { value: schema.maximum, open: false }
        : undefined;
  if (lower && upper) {
    return ` in ${lower.open ? '(' : '['}${lower.value}, ${upper.value}${upper.open ? ')' : ']'}`;
  }
  if (lower) return ` ${lower.open ? '>' : '≥'} ${lower.value}`;
  if (upper) return ` ${upper.open ? '<' : '≤'} ${upper.value}`;
  return '';
}

/** The value schema of a record (an object keyed by free names such as model names). */
function recordValue(schema: JsonSchema): JsonSchema | undefined {
  return schema.type === 'object' && !hasProperties(schema) && isSchema(schema.additionalProperties)
    ? schema.additionalProperties
    : undefined;
}

/** `<model>`: the record key's title names the placeholder in paths. */
function placeholder(schema: JsonSchema): string {
  const keys = isSchema(schema.propertyNames) ? schema.propertyNames : {};
  return `<${keys.title ?? 'key'}>`;
}

function hasProperties(
  schema: unknown,
): schema is JsonSchema & { properties: NonNullable<JsonSchema['properties']> } {
  return isSchema(schema) && schema.properties !== undefined;
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function code(text: string): string {
  return `\`${text}\``;
}

/** A table cell: pipes escaped (also inside code spans, as GitHub requires), one line. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** GitHub's heading anchor for a heading that is `path` in code. */
function anchor(path: string): string {
  return path
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}

function intro(): string {
  const rules = crossFieldRules()
    .map((rule) => `- ${rule}`)
    .join('\n');
  return `<!-- Generated from packages/core/src/config/schema.ts by \`${REGENERATE}\`; do not edit. -->

# Configuration reference

One configuration drives gemini-lanes: the two lanes, the instrumentation, the Grafana
dashboards and the Prometheus alerts all read the same object, so a threshold set once (the
latency lane's \`sla.ttftMs\`, say) is the histogram bucket, the line on the dashboard and the
objective the alerts burn against. Every field is optional: an empty configuration works, and
each field you set overrides one default.

## Where the configuration lives

Write \`gemini-lanes.config.ts\` (or \`.mts\`, \`.mjs\`, \`.js\`, \`.json\`, \`.yaml\`, \`.yml\`) at the
root of your service. The \`gemini-lanes\` command uses the nearest one in the current directory
or a parent, or the file given with \`--config <file>\`; without one, the defaults apply. A
TypeScript file runs through Node's type stripping, so it may use erasable syntax only. In code,
\`defineConfig\` resolves the same input and throws a \`ConfigError\` listing every problem.

\`\`\`ts
// gemini-lanes.config.ts
import { defineConfig } from '@gemini-lanes/core';

export default defineConfig({
  service: 'chat-api',
  lanes: { latency: { sla: { ttftMs: 400 } } },
});
\`\`\`

In JSON, a \`"$schema"\` line gives your editor completion, the descriptions below and checks
as you type. Its path is relative to the configuration file:

\`\`\`json
{
  "$schema": "./${CONFIG_SCHEMA_FILE}",
  "service": "chat-api",
  "lanes": { "latency": { "sla": { "ttftMs": 400 } } }
}
\`\`\`

In YAML, the same through a comment that the YAML language server reads:

\`\`\`yaml
# yaml-language-server: $schema=./${CONFIG_SCHEMA_FILE}
service: chat-api
lanes:
  latency:
    sla:
      ttftMs: 400
\`\`\`

To get the schema file, run \`${REGENERATE} --out <dir>\`: it writes
\`${CONFIG_SCHEMA_FILE}\` and this reference into \`<dir>\` (\`docs\` by default).
\`configJsonSchema()\` from \`@gemini-lanes/core\` returns the same schema as an object.

## Checking it

\`gemini-lanes validate\` checks every field and the rules between fields, prints each problem
with its path and the value it got (\`lanes.latency.sla.maxQueueWaitMs must be > 0 (got -5)\`),
and exits 1 when there is one. \`gemini-lanes validate --print\` prints the resolved
configuration, every default filled in, as JSON: what the lanes, dashboards and alerts will use.

The JSON Schema checks each field on its own. These rules between fields are checked by
\`gemini-lanes validate\` and \`defineConfig\` only:

${rules}

## Reading the tables

- **type**: \`integer > 0\` and \`number ≥ 0\` are bounds; \`number in [0, 1)\` includes 0 and
  excludes 1. Times named \`…Ms\` are milliseconds; a *Prometheus duration* is written like
  \`30s\`, \`5m\`, \`1h30m\` or \`28d\`.
- **default**: the value used when the field is left out. \`–\`: unset unless you set it.
  *required*: must be given whenever the object around it is.
- In paths, \`<model>\` stands for a model name such as \`gemini-2.5-flash\`, \`<label>\` for a
  Prometheus label name, and \`[]\` for each item of a list.
`;
}
