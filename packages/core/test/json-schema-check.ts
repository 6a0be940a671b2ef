import type { JsonSchema } from '../src/index.js';

/** Keywords that only annotate: they never make an instance invalid. */
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'format']);
const ASSERTIONS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'minItems',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'pattern',
]);

/**
 * A JSON Schema (draft 2020-12) check for the keywords the configuration schema uses, so a test
 * can ask what an editor would say about a file without a validator dependency. A keyword it
 * does not know throws, so the schema cannot grow one that this check silently ignores.
 * Returns one `path: problem` line per failure; empty when the value is valid.
 */
export function checkJsonSchema(schema: JsonSchema, value: unknown, path = '$'): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !ASSERTIONS.has(keyword)) {
      throw new Error(`checkJsonSchema: unsupported keyword ${keyword} at ${path}`);
    }
  }
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message}`);

  if (schema.type !== undefined && !hasType(value, schema.type as string)) {
    fail(`not of type ${String(schema.type)}`);
    return problems;
  }
  if (schema.enum !== undefined && !schema.enum.some((v) => v === value)) fail('not in enum');

  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) fail(`< ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) fail(`> ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum)
      fail(`<= ${schema.exclusiveMinimum}`);
    if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum)
      fail(`>= ${schema.exclusiveMaximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) fail('too short');
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      fail(`does not match ${schema.pattern}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) fail('too few items');
    if (schema.items !== undefined) {
      if (typeof schema.items !== 'object' || Array.isArray(schema.items)) {
        throw new Error(`checkJsonSchema: unsupported items at ${path}`);
      }
      const items = schema.items;
      value.forEach((item, i) => {
        problems.push(...checkJsonSchema(items, item, `${path}[${i}]`));
      });
    }
  }
  if (isObject(value)) {
    const properties = schema.properties ?? {};
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(value, key)) fail(`missing ${key}`);
    }
    for (const [key, child] of Object.entries(value)) {
      const childPath = `${path}.${key}`;
      if (schema.propertyNames !== undefined) {
        problems.push(...checkSub(schema.propertyNames, key, `${childPath} (key)`));
      }
      const known = properties[key];
      if (known !== undefined) problems.push(...checkSub(known, child, childPath));
      else if (schema.additionalProperties !== undefined) {
        problems.push(...checkSub(schema.additionalProperties, child, childPath));
      }
    }
  }
  return problems;
}

function checkSub(schema: JsonSchema | boolean, value: unknown, path: string): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: not allowed`];
  return checkJsonSchema(schema, value, path);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
    case 'boolean':
      return typeof value === type;
    default:
      throw new Error(`checkJsonSchema: unsupported type ${type}`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every property schema in a JSON Schema with its path (`lanes.latency.endpoints[].url`,
 * `quota.models.<model>.rpm`), objects included, depth first.
 */
export function propertiesOf(
  schema: JsonSchema,
  path = '',
): Array<{ path: string; schema: JsonSchema }> {
  const out: Array<{ path: string; schema: JsonSchema }> = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (typeof child === 'boolean') continue;
    const childPath = path === '' ? key : `${path}.${key}`;
    out.push({ path: childPath, schema: child }, ...nested(child, childPath));
  }
  return out;
}

function nested(schema: JsonSchema, path: string): Array<{ path: string; schema: JsonSchema }> {
  if (schema.properties !== undefined) return propertiesOf(schema, path);
  if (typeof schema.items === 'object' && !Array.isArray(schema.items)) {
    return nested(schema.items, `${path}[]`);
  }
  if (typeof schema.additionalProperties === 'object') {
    const keys = typeof schema.propertyNames === 'object' ? schema.propertyNames : {};
    const entry = `${path}.<${keys.title ?? 'key'}>`;
    const values = schema.additionalProperties;
    return values.properties === undefined
      ? [{ path: entry, schema: values }]
      : propertiesOf(values, entry);
  }
  return [];
}
