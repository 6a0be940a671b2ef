import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_REFERENCE_FILE,
  CONFIG_SCHEMA_FILE,
  configJsonSchema,
  configReferenceFiles,
  configReferenceMarkdown,
} from '../src/index.js';
import { propertiesOf } from './json-schema-check.js';

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));
const REGENERATE =
  'pnpm build && pnpm gemini-lanes generate config-reference (from the repository root)';

/** `line N: generated … / committed …` for the first line where two texts part; undefined when equal. */
function firstDifference(generated: string, committed: string): string | undefined {
  if (generated === committed) return undefined;
  const a = generated.split('\n');
  const b = committed.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `line ${at + 1}: generated ${JSON.stringify(a[at] ?? '<end>')}, committed ${JSON.stringify(b[at] ?? '<end>')}`;
}

/** Every stale or missing committed file, as `docs/<name> …`. */
function staleFiles(files: Record<string, string>, read: (name: string) => string | undefined) {
  const stale: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const committed = read(name);
    if (committed === undefined) stale.push(`docs/${name} is missing`);
    else {
      const difference = firstDifference(text, committed);
      if (difference !== undefined) stale.push(`docs/${name} is stale at ${difference}`);
    }
  }
  return stale;
}

const markdown = configReferenceMarkdown();

/** The table rows of the reference, by field path (links and code marks removed). */
function rows(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| ') || line.startsWith('| field') || line.startsWith('| ---')) continue;
    const cells = line
      .slice(2, -2)
      .split(/(?<!\\) \| /)
      .map((c) => c.replaceAll('\\|', '|'));
    const path = cells[0]?.replace(/^\[(.*)\]\(.*\)$/, '$1').replaceAll('`', '');
    if (path !== undefined) found.set(path, cells);
  }
  return found;
}

describe('the committed configuration reference in docs/', () => {
  it('is exactly what configReferenceFiles generates (regenerate it when this fails)', () => {
    const read = (name: string) =>
      existsSync(`${DOCS}${name}`) ? readFileSync(`${DOCS}${name}`, 'utf8') : undefined;
    const stale = staleFiles(configReferenceFiles(), read);
    expect(stale, `regenerate with: ${REGENERATE}\n${stale.join('\n')}`).toEqual([]);
  });

  it('would report a stale and a missing file (the check can fail)', () => {
    const files = configReferenceFiles();
    const changed = (files[CONFIG_REFERENCE_FILE] ?? '').replace('| `500` |', '| `400` |');
    const stale = staleFiles(files, (name) =>
      name === CONFIG_REFERENCE_FILE ? changed : undefined,
    );
    expect(stale).toEqual([
      expect.stringMatching(
        /^docs\/configuration\.md is stale at line \d+: generated ".*`500`.*", committed ".*`400`.*"$/,
      ),
      `docs/${CONFIG_SCHEMA_FILE} is missing`,
    ]);
  });

  it('holds the Markdown reference and the JSON Schema with a final newline', () => {
    const files = configReferenceFiles();
    expect(Object.keys(files)).toEqual(['configuration.md', 'gemini-lanes.config.schema.json']);
    expect(JSON.parse(files[CONFIG_SCHEMA_FILE] ?? '')).toEqual(configJsonSchema());
    expect(files[CONFIG_SCHEMA_FILE]?.endsWith('}\n')).toBe(true);
    expect(files[CONFIG_REFERENCE_FILE]).toBe(markdown);
  });
});

describe('configReferenceMarkdown', () => {
  it('is deterministic', () => {
    expect(configReferenceMarkdown()).toBe(markdown);
  });

  it('tells a new user where the file lives, how to check it and how to get completion', () => {
    expect(markdown).toContain('gemini-lanes.config.ts');
    expect(markdown).toContain('gemini-lanes validate --print');
    expect(markdown).toContain('"$schema": "./gemini-lanes.config.schema.json"');
    expect(markdown).toContain('# yaml-language-server: $schema=./gemini-lanes.config.schema.json');
    expect(markdown).toContain('gemini-lanes generate config-reference --out <dir>');
    // The rules between fields, which the JSON Schema cannot express.
    expect(markdown).toContain('`min` ≤ `initial` ≤ `max`');
    expect(markdown).toContain('at least 0.9306 for a `30d` window, 0.9256 for `28d`');
  });

  it('has a section per object, top-level keys first in schema order', () => {
    const headings = markdown
      .split('\n')
      .filter((line) => /^#{2,4} `/.test(line))
      .map((line) => line.replace(/`/g, ''));
    expect(headings.filter((h) => h.startsWith('## '))).toEqual([
      '## quota',
      '## lanes',
      '## slos',
      '## alerts',
      '## pricing.<model>',
      '## prometheus',
      '## dashboards',
    ]);
    expect(headings).toContain('### quota.models.<model>');
    expect(headings).toContain('### lanes.latency');
    expect(headings).toContain('#### lanes.latency.endpoints[]');
    expect(headings).toContain('#### lanes.throughput.retry');
    expect(headings).toContain('### pricing.<model>.longContext');
    // A section comes before its children, and after its parent.
    expect(headings.indexOf('### lanes.latency')).toBeLessThan(
      headings.indexOf('#### lanes.latency.pool'),
    );
    expect(headings.indexOf('#### lanes.latency.hedging')).toBeLessThan(
      headings.indexOf('### lanes.throughput'),
    );
  });

  it('documents every field of the JSON Schema in a table row, with a description', () => {
    const table = rows();
    const paths = propertiesOf(configJsonSchema())
      .map((p) => p.path)
      .filter((p) => p !== '$schema');
    expect(paths.filter((p) => !table.has(p))).toEqual([]);
    for (const [path, cells] of table) {
      expect(cells, path).toHaveLength(4);
      expect(cells[3], path).not.toBe('');
    }
  });

  it('writes types with their constraints, and defaults as JSON', () => {
    const table = rows();
    const row = (path: string) => table.get(path)?.slice(1, 3);
    expect(row('lanes.latency.sla.ttftMs')).toEqual(['number > 0', '`500`']);
    expect(row('lanes.latency.concurrency')).toEqual(['integer > 0', '`32`']);
    expect(row('lanes.latency.pool.prewarm')).toEqual(['integer ≥ 0', '`2`']);
    expect(row('quota.latencyReservedShare')).toEqual(['number in [0, 1)', '`0.2`']);
    expect(row('lanes.latency.hedging.percentile')).toEqual(['number in (0, 1)', '`0.95`']);
    expect(row('alerts.timeScale')).toEqual(['number in (0, 1]', '`1`']);
    expect(row('lanes.throughput.retry.budget')).toEqual(['number in [0, 1]', '`0.2`']);
    expect(row('prometheus.naming')).toEqual(['`"otel-js"` | `"unit-suffixed"`', '`"otel-js"`']);
    expect(row('lanes.latency.models')).toEqual([
      'list of string (non-empty), at least 1',
      '`["gemini-2.5-flash"]`',
    ]);
    expect(row('lanes.latency.apiVersion')).toEqual(['`"v1"` | `"v1beta"`', '–']);
    expect(row('lanes.latency.endpoints[].url')).toEqual([
      'URL matching `^(https?)://`',
      '*required*',
    ]);
    expect(row('quota.models.<model>.rpm')).toEqual(['integer > 0', '*required*']);
    expect(row('pricing.<model>.inputPerM')).toEqual(['number ≥ 0', '–']);
    expect(row('alerts.ttftP95For')?.[0]).toMatch(/^Prometheus duration matching `/);
    expect(row('prometheus.selectors')).toEqual([
      'map of `<label>` (matching `^[a-zA-Z_][a-zA-Z0-9_]*$`) to string',
      '`{}`',
    ]);
    // A default too long for its cell follows the table as a JSON block.
    expect(row('quota.models')).toEqual(['map of `<model>` to object', 'below']);
    expect(markdown).toContain('Default of `quota.models`:\n\n```json\n{\n  "gemini-2.5-pro": {');
  });

  it('links every object field to a heading that exists (GitHub anchors)', () => {
    const anchors = new Set(
      markdown
        .split('\n')
        .filter((line) => line.startsWith('#'))
        .map((line) =>
          line
            .replace(/^#+ /, '')
            .toLowerCase()
            .replace(/[^a-z0-9 _-]/g, '')
            .replaceAll(' ', '-'),
        ),
    );
    const links = [...markdown.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(20);
    expect(links.filter((link) => !anchors.has(link ?? ''))).toEqual([]);
  });
});
