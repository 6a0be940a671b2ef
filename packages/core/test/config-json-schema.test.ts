import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CONFIG_SCHEMA_ID,
  configJsonSchema,
  defineConfig,
  type JsonSchema,
  validateConfig,
} from '../src/index.js';
import { loadConfigFile } from '../src/load/index.js';
import { checkJsonSchema, propertiesOf } from './json-schema-check.js';

const schema = configJsonSchema();

/** The schema node at a dotted path (`lanes.latency.sla.ttftMs`, `quota.models.<model>.rpm`). */
function at(path: string): JsonSchema {
  const found = propertiesOf(schema).find((p) => p.path === path);
  if (found === undefined) throw new Error(`no property ${path} in the JSON Schema`);
  return found.schema;
}

/** `path` of every property without a description, and of every record key without a title. */
function undocumented(json: JsonSchema): string[] {
  const missing: string[] = [];
  for (const { path, schema: node } of propertiesOf(json)) {
    if (typeof node.description !== 'string' || node.description.trim() === '') missing.push(path);
    const keys = node.propertyNames;
    if (typeof keys === 'object' && keys.title === undefined) missing.push(`${path} (key title)`);
  }
  return missing;
}

describe('configJsonSchema', () => {
  it('is a draft 2020-12 schema with an id and a title, for "$schema" in a config file', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(CONFIG_SCHEMA_ID);
    expect(schema.title).toBe('gemini-lanes configuration');
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties ?? {})).toEqual([
      '$schema',
      'service',
      'environment',
      'quota',
      'lanes',
      'slos',
      'alerts',
      'pricing',
      'prometheus',
      'dashboards',
    ]);
  });

  it('describes every field, nested objects, list items and record entries included', () => {
    expect(undocumented(schema)).toEqual([]);
    // Spot checks that the text survives the default/prefault/optional wrappers at the property.
    expect(at('lanes.latency.cache.enabled').description).toBe(
      'Whether the lane caches responses.',
    );
    expect(at('lanes.latency.endpoints[].name').description).toContain('unique within the lane');
    expect(at('lanes.latency.fallbackModel').description).toContain('must differ from');
    expect(at('lanes.latency.sla').description).toContain('SLI thresholds');
    expect(at('quota.models.<model>.rpm').description).toBe('Requests per minute.');
    expect(at('prometheus.selectors.<label>').description).toBe(
      'The exact value the label must have.',
    );
  });

  it('would name a field that has no description (the check can fail)', () => {
    const bare = z.toJSONSchema(
      z.strictObject({
        a: z.number().default(1).describe('A.'),
        b: z.strictObject({ c: z.boolean().default(true) }).prefault({}),
        d: z.record(z.string(), z.strictObject({ e: z.string().describe('E.') })).default({}),
      }),
      { io: 'input' },
    );
    expect(undocumented(bare)).toEqual(['b', 'b.c', 'd', 'd (key title)']);
  });

  it('makes every field with a default optional and requires only what has none', () => {
    const requiredLists = [schema, ...propertiesOf(schema).map((p) => p.schema)]
      .flatMap((node) => [
        node,
        ...(typeof node.items === 'object' && !Array.isArray(node.items) ? [node.items] : []),
        ...(typeof node.additionalProperties === 'object' ? [node.additionalProperties] : []),
      ])
      .filter((node) => node.required !== undefined)
      .map((node) => node.required);
    expect(requiredLists).toEqual([
      ['rpm', 'inputTpm', 'rpd'],
      ['url'],
      ['url'],
      ['thresholdTokens', 'inputPerM', 'outputPerM', 'cachedInputPerM'],
    ]);
    expect(schema.required).toBeUndefined();
  });

  it('carries the types, enums, defaults and bounds of the zod schema', () => {
    expect(at('lanes.latency.sla.ttftMs')).toMatchObject({
      type: 'number',
      exclusiveMinimum: 0,
      default: 500,
    });
    expect(at('lanes.latency.concurrency')).toMatchObject({
      type: 'integer',
      exclusiveMinimum: 0,
      default: 32,
    });
    expect(at('lanes.latency.pool.prewarm')).toMatchObject({ type: 'integer', minimum: 0 });
    expect(at('quota.latencyReservedShare')).toMatchObject({
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0.2,
    });
    expect(at('lanes.latency.hedging.percentile')).toMatchObject({
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
    });
    expect(at('alerts.timeScale')).toMatchObject({ exclusiveMinimum: 0, maximum: 1, default: 1 });
    expect(at('prometheus.naming').enum).toEqual(['otel-js', 'unit-suffixed']);
    expect(at('lanes.throughput.concurrency.algorithm')).toMatchObject({
      enum: ['aimd', 'gradient'],
      default: 'aimd',
    });
    expect(at('slos.latency.window')).toMatchObject({ enum: ['28d', '30d'], default: '30d' });
    expect(at('lanes.latency.models')).toMatchObject({
      type: 'array',
      minItems: 1,
      default: ['gemini-2.5-flash'],
    });
    expect(at('alerts.ttftP95For')).toMatchObject({ title: 'Prometheus duration', default: '10m' });
    expect(at('lanes.latency.endpoints[].url')).toMatchObject({
      format: 'uri',
      pattern: '^(https?)://',
    });
    expect(at('quota.models').default).toEqual(defineConfig().quota.models);
    // Objects whose fields all have defaults default to {}, so they may be left out.
    expect(at('lanes.latency').default).toEqual({});
  });

  it('returns a fresh object on every call', () => {
    const first = configJsonSchema();
    (first.properties as Record<string, unknown>).service = 'changed';
    expect(configJsonSchema()).toEqual(schema);
  });
});

describe('configJsonSchema agrees with validateConfig', () => {
  const optIn = JSON.parse(
    readFileSync(new URL('../../../alerts/tests/opt-in/config.json', import.meta.url), 'utf8'),
  ) as unknown;

  const good: Array<[string, unknown]> = [
    ['nothing', {}],
    ['the resolved default configuration', defineConfig()],
    ['the alerts opt-in profile', optIn],
    ['a $schema line', { $schema: './gemini-lanes.config.schema.json', service: 'chat-api' }],
    [
      'a production-like configuration',
      {
        service: 'chat-api',
        environment: 'prod',
        quota: {
          models: { 'gemini-2.5-flash': { rpm: 2000, inputTpm: 4_000_000, rpd: 50_000 } },
          latencyReservedShare: 0.3,
          store: 'redis',
          redisUrl: 'redis://10.0.0.5:6379',
        },
        lanes: {
          latency: {
            endpoints: [
              { url: 'https://europe-west4-aiplatform.googleapis.com', name: 'eu' },
              { url: 'http://127.0.0.1:8089' },
            ],
            apiVersion: 'v1beta',
            sla: { ttftMs: 400, durationMs: 2000, maxQueueWaitMs: 50, timeoutMs: 8000 },
            cache: { store: 'redis', redisUrl: 'redis://10.0.0.5:6379', nondeterministic: true },
            hedging: { enabled: true, percentile: 0.9 },
          },
          throughput: {
            concurrency: { min: 2, max: 128, initial: 8, algorithm: 'gradient' },
            batch: { mode: 'batch-api' },
            floorTokensPerSecond: 1500,
          },
        },
        slos: { latency: { window: '28d', availability: { target: 0.995 } } },
        alerts: { ttftP95For: '15m', costBudgetUsdPerHour: 40, severities: { page: 'p1' } },
        pricing: {
          'gemini-2.5-flash': { inputPerM: 0.25 },
          'my-tuned-model': {
            inputPerM: 1,
            outputPerM: 4,
            longContext: {
              thresholdTokens: 128_000,
              inputPerM: 2,
              outputPerM: 8,
              cachedInputPerM: 0.5,
            },
          },
        },
        prometheus: {
          naming: 'unit-suffixed',
          selectors: { namespace: 'prod' },
          rateInterval: '2m',
        },
        dashboards: { datasourceUid: 'prom-main', tags: ['llm'], namePrefix: 'Chat' },
      },
    ],
  ];

  const bad: Array<[string, unknown]> = [
    ['a misspelt top-level option', { servce: 'x' }],
    ['an unknown nested option', { lanes: { latency: { sla: { ttft: 300 } } } }],
    ['an empty service name', { service: '' }],
    ['a negative threshold', { lanes: { latency: { sla: { ttftMs: -5 } } } }],
    ['a fractional concurrency', { lanes: { latency: { concurrency: 2.5 } } }],
    ['a number as a string', { lanes: { latency: { sla: { timeoutMs: '10s' } } } }],
    ['no models', { lanes: { latency: { models: [] } } }],
    ['an empty model name', { lanes: { throughput: { models: [''] } } }],
    [
      'an endpoint without a scheme',
      { lanes: { latency: { endpoints: [{ url: 'emulator:8089' }] } } },
    ],
    [
      'an endpoint with another scheme',
      { lanes: { latency: { endpoints: [{ url: 'ftp://x.example' }] } } },
    ],
    ['an endpoint without a url', { lanes: { latency: { endpoints: [{ name: 'eu' }] } } }],
    ['an unknown cache store', { lanes: { latency: { cache: { store: 'disk' } } } }],
    ['a percentile of 1', { lanes: { latency: { hedging: { percentile: 1 } } } }],
    ['a reserved share of 1', { quota: { latencyReservedShare: 1 } }],
    ['a quota without rpd', { quota: { models: { m: { rpm: 1, inputTpm: 1 } } } }],
    ['an unknown algorithm', { lanes: { throughput: { concurrency: { algorithm: 'vegas' } } } }],
    ['no attempts', { lanes: { throughput: { retry: { maxAttempts: 0 } } } }],
    ['a negative batching delay', { lanes: { throughput: { embedding: { maxDelayMs: -1 } } } }],
    ['a 7-day SLO window', { slos: { latency: { window: '7d' } } }],
    ['a target of 1', { slos: { throughput: { availability: { target: 1 } } } }],
    ['a duration in words', { alerts: { ttftP95For: '10 minutes' } }],
    ['a lower-case alert prefix', { alerts: { namePrefix: 'geminiLanes' } }],
    ['a capitalised severity', { alerts: { severities: { page: 'Critical' } } }],
    ['a time scale of 0', { alerts: { timeScale: 0 } }],
    ['a time scale above 1', { alerts: { timeScale: 2 } }],
    ['a negative price', { pricing: { 'gemini-2.5-flash': { inputPerM: -1 } } }],
    [
      'a long-context price without its threshold',
      {
        pricing: {
          'gemini-2.5-pro': { longContext: { inputPerM: 1, outputPerM: 1, cachedInputPerM: 1 } },
        },
      },
    ],
    ['a selector on an invalid label name', { prometheus: { selectors: { 'bad-label': 'x' } } }],
    ['a selector value that is not a string', { prometheus: { selectors: { job: 5 } } }],
    ['an empty dashboard tag', { dashboards: { tags: [''] } }],
    ['a $schema that is not a string', { $schema: 5 }],
    ['not an object', ['service']],
  ];

  it.each(good)('both accept %s', (_, input) => {
    expect(validateConfig(input)).toMatchObject({ ok: true });
    expect(checkJsonSchema(schema, input)).toEqual([]);
  });

  it.each(bad)('both refuse %s', (_, input) => {
    expect(validateConfig(input)).toMatchObject({ ok: false });
    expect(checkJsonSchema(schema, input)).not.toEqual([]);
  });
});

describe('the "$schema" key of a configuration file', () => {
  it('is accepted as a string and left out of the resolved configuration', () => {
    const result = validateConfig({ $schema: './gemini-lanes.config.schema.json', service: 'a' });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.config.service).toBe('a');
      expect(Object.hasOwn(result.config, '$schema')).toBe(false);
    }
  });

  it('is refused when it is not a string, with the other problems', () => {
    const result = validateConfig({ $schema: 5, servce: 'x' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => `${i.path} ${i.message}`)).toEqual([
        '$schema must be a string: the path or URL of the JSON Schema (got 5)',
        'servce is not a known option (did you mean service?)',
      ]);
    }
  });

  it('works in a real JSON file read by loadConfigFile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gemini-lanes-schema-key-'));
    try {
      const file = join(dir, 'gemini-lanes.config.json');
      await writeFile(
        file,
        JSON.stringify({ $schema: './gemini-lanes.config.schema.json', service: 'from-json' }),
      );
      const config = await loadConfigFile(file);
      expect(config.service).toBe('from-json');
      expect(Object.hasOwn(config, '$schema')).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
