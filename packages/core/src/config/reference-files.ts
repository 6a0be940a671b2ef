import { CONFIG_SCHEMA_FILE, configJsonSchema } from './json-schema.js';
import { configReferenceMarkdown } from './reference-markdown.js';

/** The file name of the Markdown reference. */
export const CONFIG_REFERENCE_FILE = 'configuration.md';

/**
 * The configuration reference as files, by name: `configuration.md` and
 * `gemini-lanes.config.schema.json`. They depend on the schema only, never on a user's
 * configuration; the repository commits them in `docs/`.
 */
export function configReferenceFiles(): Record<string, string> {
  return {
    [CONFIG_REFERENCE_FILE]: configReferenceMarkdown(),
    [CONFIG_SCHEMA_FILE]: `${formatJson(configJsonSchema())}\n`,
  };
}

const LINE_WIDTH = 100;

/**
 * JSON with 2-space indents, as the repository's formatter (Biome) writes it, so the committed
 * file passes `biome check` unchanged: objects one key per line, a list of plain values on one
 * line when it fits in 100 columns.
 */
function formatJson(value: unknown, indent = '', prefix = ''): string {
  if (Array.isArray(value) && value.length > 0) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      const inline = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
      // The line also holds the indent, the key and a trailing comma.
      if (indent.length + prefix.length + inline.length + 1 <= LINE_WIDTH) return inline;
    }
    const inner = `${indent}  `;
    return `[\n${value.map((item) => `${inner}${formatJson(item, inner)}`).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = `${indent}  `;
    const lines = entries.map(([key, v]) => {
      const head = `${JSON.stringify(key)}: `;
      return `${inner}${head}${formatJson(v, inner, head)}`;
    });
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
