/**
 * A small JSON Schema checker for the subset the GenAI message schemas use: `type`, `const`,
 * `enum`, `required`, `properties`, `additionalProperties`, `items`, `anyOf`, `oneOf` and local
 * `$ref`s. Returns the list of problems, each with its JSON path; empty when `value` conforms.
 */
export type Schema = Record<string, unknown>;

function typeOk(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      throw new Error(`unsupported type ${type}`);
  }
}

export function validate(root: Schema, value: unknown): string[] {
  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const path = ref.replace(/^#\//, '').split('/');
    let target: unknown = root;
    for (const key of path) target = (target as Record<string, unknown>)[key];
    if (target === undefined) throw new Error(`unresolved ${ref}`);
    return resolve(target as Schema);
  };
  const check = (schemaIn: Schema, v: unknown, at: string): string[] => {
    const schema = resolve(schemaIn);
    const errors: string[] = [];
    if (schema.anyOf !== undefined || schema.oneOf !== undefined) {
      const options = (schema.anyOf ?? schema.oneOf) as Schema[];
      const matching = options.filter((option) => check(option, v, at).length === 0).length;
      if (schema.oneOf !== undefined ? matching !== 1 : matching === 0) {
        errors.push(`${at}: matches ${matching} of the ${options.length} alternatives`);
      }
    }
    if (typeof schema.type === 'string' && !typeOk(v, schema.type)) {
      return [...errors, `${at}: expected ${schema.type}, got ${JSON.stringify(v)}`];
    }
    if ('const' in schema && v !== schema.const) {
      errors.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(v)}`);
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(v)) {
      errors.push(`${at}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if (typeOk(v, 'object')) {
      const object = v as Record<string, unknown>;
      for (const key of (schema.required as string[] | undefined) ?? []) {
        if (!(key in object)) errors.push(`${at}: missing ${key}`);
      }
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const [key, child] of Object.entries(object)) {
        const property = properties[key];
        if (property !== undefined) errors.push(...check(property, child, `${at}.${key}`));
        else if (schema.additionalProperties === false) errors.push(`${at}: unexpected ${key}`);
      }
    }
    if (Array.isArray(v) && schema.items !== undefined) {
      v.forEach((item, i) => {
        errors.push(...check(schema.items as Schema, item, `${at}[${i}]`));
      });
    }
    return errors;
  };
  return check(root, value, '$');
}
