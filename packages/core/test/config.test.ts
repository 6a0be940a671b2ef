import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineConfig,
  type GeminiLanesConfigInput,
  validateConfig,
} from '../src/index.js';

function issuesOf(input: unknown): string[] {
  const result = validateConfig(input);
  if (result.ok) throw new Error('expected the configuration to be refused');
  return result.issues.map((i) => `${i.path} ${i.message}`);
}

describe('defineConfig defaults', () => {
  it('gives a new user a working configuration from nothing', () => {
    const config = defineConfig();
    expect(config.service).toBe('gemini-app');
    expect(config.lanes.latency.models).toEqual(['gemini-2.5-flash']);
    expect(config.lanes.latency.sla).toEqual({
      ttftMs: 500,
      durationMs: 2500,
      maxQueueWaitMs: 100,
      timeoutMs: 10_000,
    });
    expect(config.lanes.latency.pool).toEqual({
      connections: 32,
      prewarm: 2,
      keepAliveTimeoutMs: 60_000,
      keepAliveMaxTimeoutMs: 600_000,
      connectTimeoutMs: 10_000,
    });
    expect(config.lanes.latency.cache).toMatchObject({
      enabled: true,
      store: 'memory',
      nondeterministic: false,
    });
    expect(config.lanes.throughput.concurrency).toEqual({
      min: 1,
      max: 64,
      initial: 4,
      algorithm: 'aimd',
    });
    expect(config.lanes.throughput.pool.connections).toBe(64);
    expect(config.lanes.throughput.batch.mode).toBe('parallel');
    expect(config.quota.latencyReservedShare).toBe(0.2);
    expect(config.quota.models['gemini-2.5-flash']).toEqual({
      rpm: 1000,
      inputTpm: 1_000_000,
      rpd: 10_000,
    });
    expect(config.slos.latency).toEqual({
      window: '30d',
      availability: { target: 0.999 },
      latency: { target: 0.99 },
      pageMinRequestsPerHour: 60,
    });
    expect(config.slos.throughput.availability.target).toBe(0.99);
    expect(config.alerts).toMatchObject({
      namePrefix: 'GeminiLanes',
      timeScale: 1,
      severities: { page: 'critical', ticket: 'warning' },
    });
    expect(config.prometheus).toEqual({ naming: 'otel-js', selectors: {}, rateInterval: '5m' });
    expect(config.dashboards).toEqual({ tags: ['gemini-lanes'], namePrefix: 'Gemini Lanes' });
  });

  it('keeps what the user set and fills in the rest of the same object', () => {
    const config = defineConfig({
      lanes: { latency: { sla: { ttftMs: 300 } } },
      service: 'chat-api',
    });
    expect(config.service).toBe('chat-api');
    expect(config.lanes.latency.sla).toEqual({
      ttftMs: 300,
      durationMs: 2500,
      maxQueueWaitMs: 100,
      timeoutMs: 10_000,
    });
  });

  it('returns a deeply frozen object that is valid input again (files may export defineConfig output)', () => {
    const config = defineConfig({ service: 'x' });
    expect(Object.isFrozen(config.lanes.latency.sla)).toBe(true);
    expect(() => {
      (config.lanes.latency.sla as { ttftMs: number }).ttftMs = 1;
    }).toThrow(TypeError);
    expect(defineConfig(config as GeminiLanesConfigInput)).toEqual(config);
  });
});

describe('field rules name the field and the value', () => {
  it.each([
    [
      { lanes: { latency: { sla: { maxQueueWaitMs: -5 } } } },
      'lanes.latency.sla.maxQueueWaitMs must be > 0 (got -5)',
    ],
    [
      { lanes: { latency: { sla: { ttftMs: 0 } } } },
      'lanes.latency.sla.ttftMs must be > 0 (got 0)',
    ],
    [
      { lanes: { latency: { sla: { timeoutMs: '10s' } } } },
      'lanes.latency.sla.timeoutMs must be a number (got "10s")',
    ],
    [
      { lanes: { latency: { concurrency: 2.5 } } },
      'lanes.latency.concurrency must be an integer (got 2.5)',
    ],
    [
      { lanes: { latency: { models: [] } } },
      'lanes.latency.models must list at least 1 item(s) (got [])',
    ],
    [
      { lanes: { latency: { models: [''] } } },
      'lanes.latency.models[0] must not be empty (got "")',
    ],
    [
      { lanes: { latency: { endpoints: [{ url: 'emulator:8089' }] } } },
      'lanes.latency.endpoints[0].url must be an http(s) URL such as http://127.0.0.1:8089 (got "emulator:8089")',
    ],
    [
      { lanes: { latency: { hedging: { percentile: 1 } } } },
      'lanes.latency.hedging.percentile must be < 1 (got 1)',
    ],
    [
      { lanes: { latency: { cache: { store: 'disk' } } } },
      'lanes.latency.cache.store must be one of "memory", "redis" (got "disk")',
    ],
    [
      { lanes: { throughput: { concurrency: { algorithm: 'vegas' } } } },
      'lanes.throughput.concurrency.algorithm must be one of "aimd", "gradient" (got "vegas")',
    ],
    [
      { lanes: { throughput: { retry: { budget: 1.5 } } } },
      'lanes.throughput.retry.budget must be <= 1 (got 1.5)',
    ],
    [
      { lanes: { throughput: { batch: { mode: 'batch' } } } },
      'lanes.throughput.batch.mode must be one of "parallel", "batch-api" (got "batch")',
    ],
    [
      { lanes: { throughput: { floorTokensPerSecond: -1 } } },
      'lanes.throughput.floorTokensPerSecond must be >= 0 (got -1)',
    ],
    [{ quota: { latencyReservedShare: 1 } }, 'quota.latencyReservedShare must be < 1 (got 1)'],
    [
      { quota: { latencyReservedShare: -0.1 } },
      'quota.latencyReservedShare must be >= 0 (got -0.1)',
    ],
    [
      { quota: { models: { 'gemini-2.5-flash': { rpm: 10, inputTpm: 1000 } } } },
      'quota.models["gemini-2.5-flash"].rpd is required',
    ],
    [
      { slos: { latency: { window: '7d' } } },
      'slos.latency.window must be one of "28d", "30d" (got "7d")',
    ],
    [
      { slos: { latency: { latency: { target: 1 } } } },
      'slos.latency.latency.target must be < 1 (got 1)',
    ],
    [
      { slos: { throughput: { availability: { target: 0 } } } },
      'slos.throughput.availability.target must be > 0 (got 0)',
    ],
    [
      { alerts: { batchStallPeriod: '30 minutes' } },
      'alerts.batchStallPeriod must be a Prometheus duration such as 30s, 5m or 1h (got "30 minutes")',
    ],
    [
      { alerts: { namePrefix: 'gemini' } },
      'alerts.namePrefix must be CamelCase, e.g. GeminiLanes (got "gemini")',
    ],
    [
      { alerts: { severities: { page: 'P1' } } },
      'alerts.severities.page must be a lowercase label value such as critical or warning (got "P1")',
    ],
    [{ alerts: { timeScale: 2 } }, 'alerts.timeScale must be <= 1 (got 2)'],
    [
      { prometheus: { naming: 'collector' } },
      'prometheus.naming must be one of "otel-js", "unit-suffixed" (got "collector")',
    ],
    [
      { prometheus: { selectors: { 'service-name': 'x' } } },
      'prometheus.selectors["service-name"] is not allowed as a key: it must be a Prometheus label name',
    ],
    [{ dashboards: { tags: 'gemini' } }, 'dashboards.tags must be a list (got "gemini")'],
    [
      { pricing: { 'gemini-2.5-flash': { inputPerM: -1 } } },
      'pricing["gemini-2.5-flash"].inputPerM must be >= 0 (got -1)',
    ],
    [{ service: '' }, 'service must not be empty (got "")'],
  ])('%j → %s', (input, message) => {
    expect(issuesOf(input)).toEqual([message]);
  });

  it('refuses unknown options and suggests the one meant', () => {
    expect(
      issuesOf({
        lanes: { latency: { sla: { ttfMs: 300 } } },
        servce: 'x',
        prometheus: { zzz: 1 },
      }),
    ).toEqual([
      'lanes.latency.sla.ttfMs is not a known option (did you mean ttftMs?)',
      'prometheus.zzz is not a known option',
      'servce is not a known option (did you mean service?)',
    ]);
  });

  it('reports every problem at once, not only the first', () => {
    expect(issuesOf({ service: 1, lanes: { latency: { concurrency: 0 } } })).toHaveLength(2);
  });

  it('refuses a configuration that is not an object', () => {
    expect(issuesOf(42)).toEqual([' must be an object (got 42)']);
  });
});

describe('cross-field rules', () => {
  it('keeps the queue-wait deadline and the SLA thresholds inside the timeout', () => {
    expect(
      issuesOf({
        lanes: {
          latency: {
            sla: { maxQueueWaitMs: 5000, timeoutMs: 3000, ttftMs: 3000, durationMs: 4000 },
          },
        },
      }),
    ).toEqual([
      'lanes.latency.sla.maxQueueWaitMs must be < lanes.latency.sla.timeoutMs (5000 ≥ 3000)',
      'lanes.latency.sla.ttftMs must be < lanes.latency.sla.timeoutMs (3000 ≥ 3000)',
      'lanes.latency.sla.durationMs must be <= lanes.latency.sla.timeoutMs (4000 > 3000)',
    ]);
  });

  it('orders the adaptive concurrency bounds and the retry delays', () => {
    expect(issuesOf({ lanes: { throughput: { concurrency: { min: 10, max: 5 } } } })).toEqual([
      'lanes.throughput.concurrency.min must be <= lanes.throughput.concurrency.max (10 > 5)',
    ]);
    expect(
      issuesOf({ lanes: { throughput: { concurrency: { min: 2, max: 8, initial: 9 } } } }),
    ).toEqual([
      'lanes.throughput.concurrency.initial must be between lanes.throughput.concurrency.min and max (9 not in [2, 8])',
    ]);
    expect(
      issuesOf({ lanes: { throughput: { retry: { baseDelayMs: 2000, maxDelayMs: 1000 } } } }),
    ).toEqual([
      'lanes.throughput.retry.baseDelayMs must be <= lanes.throughput.retry.maxDelayMs (2000 > 1000)',
    ]);
  });

  it('refuses an SLO whose page alert could never fire, for either window', () => {
    expect(issuesOf({ slos: { latency: { availability: { target: 0.9 } } } })).toEqual([
      'slos.latency.availability.target is too low for a 30d window: its page alert needs an error ratio of 14.4 × 0.1 = 1.44 > 1 and could never fire (use a target >= 0.9306)',
    ]);
    expect(
      issuesOf({ slos: { throughput: { window: '28d', latency: { target: 0.92 } } } }),
    ).toEqual([
      'slos.throughput.latency.target is too low for a 28d window: its page alert needs an error ratio of 13.44 × 0.08 = 1.0752 > 1 and could never fire (use a target >= 0.9256)',
    ]);
    // Just above the limit is fine: 14.4 × 0.0694 < 1.
    expect(validateConfig({ slos: { latency: { availability: { target: 0.9306 } } } }).ok).toBe(
      true,
    );
  });

  it('needs a quota for every model a lane may call', () => {
    expect(
      issuesOf({
        quota: { models: { 'gemini-2.5-flash': { rpm: 10, inputTpm: 1000, rpd: 100 } } },
        lanes: {
          latency: { fallbackModel: 'gemini-2.5-flash-lite' },
          throughput: { models: ['gemini-2.5-pro'] },
        },
      }),
    ).toEqual([
      'lanes.latency.fallbackModel names "gemini-2.5-flash-lite", which has no quota: add quota.models["gemini-2.5-flash-lite"] = { rpm, inputTpm, rpd }',
      'lanes.throughput.models[0] names "gemini-2.5-pro", which has no quota: add quota.models["gemini-2.5-pro"] = { rpm, inputTpm, rpd }',
    ]);
  });

  it('refuses a fallback equal to the primary, duplicate endpoints, and Redis without a URL', () => {
    expect(
      issuesOf({
        lanes: {
          latency: {
            fallbackModel: 'gemini-2.5-flash',
            endpoints: [
              { url: 'http://127.0.0.1:1', name: 'eu' },
              { url: 'http://127.0.0.1:2', name: 'eu' },
            ],
            cache: { store: 'redis' },
          },
        },
        quota: { store: 'redis' },
      }),
    ).toEqual([
      'lanes.latency.fallbackModel must differ from the lane\'s primary model lanes.latency.models[0] (both "gemini-2.5-flash")',
      'lanes.latency.endpoints[1] repeats lanes.latency.endpoints[0] ("eu"); endpoint names must be unique',
      'lanes.latency.cache.redisUrl is required when lanes.latency.cache.store is "redis"',
      'quota.redisUrl is required when quota.store is "redis"',
    ]);
  });

  it('keeps the pre-warmed sockets within the pool and a hedge inside the deadline', () => {
    expect(
      issuesOf({
        lanes: {
          latency: {
            concurrency: 2,
            pool: { connections: 2, prewarm: 4 },
            hedging: { enabled: true, minDelayMs: 20_000 },
          },
        },
      }),
    ).toEqual([
      'lanes.latency.pool.prewarm must be <= lanes.latency.pool.connections (4 > 2)',
      'lanes.latency.hedging.minDelayMs must be < lanes.latency.sla.timeoutMs (20000 ≥ 10000)',
    ]);
  });

  it('keeps a fixed hedge delay between minDelayMs and the deadline', () => {
    expect(
      issuesOf({
        lanes: { latency: { hedging: { enabled: true, minDelayMs: 100, delayMs: 50 } } },
      }),
    ).toEqual([
      'lanes.latency.hedging.minDelayMs must be <= lanes.latency.hedging.delayMs (100 > 50)',
    ]);
    expect(
      issuesOf({ lanes: { latency: { hedging: { enabled: true, delayMs: 10_000 } } } }),
    ).toEqual([
      'lanes.latency.hedging.delayMs must be < lanes.latency.sla.timeoutMs (10000 ≥ 10000)',
    ]);
    // A disabled hedge is not checked.
    expect(validateConfig({ lanes: { latency: { hedging: { delayMs: 10_000 } } } }).ok).toBe(true);
  });

  it('admits no more latency-lane requests than the pool has connections', () => {
    expect(
      issuesOf({ lanes: { latency: { concurrency: 48, pool: { connections: 32 } } } }),
    ).toEqual(['lanes.latency.concurrency must be <= lanes.latency.pool.connections (48 > 32)']);
  });

  it('keeps the first ejection within the longest', () => {
    expect(
      issuesOf({
        lanes: { latency: { endpointHealth: { ejectionMs: 60_000, maxEjectionMs: 30_000 } } },
      }),
    ).toEqual([
      'lanes.latency.endpointHealth.ejectionMs must be <= lanes.latency.endpointHealth.maxEjectionMs (60000 > 30000)',
    ]);
  });

  it('needs input and output prices for a model the built-in table does not know', () => {
    expect(issuesOf({ pricing: { 'my-tuned-model': { inputPerM: 1 } } })).toEqual([
      'pricing["my-tuned-model"] has no built-in price to start from: give at least inputPerM and outputPerM',
    ]);
    expect(validateConfig({ pricing: { 'gemini-2.5-flash': { inputPerM: 0.25 } } }).ok).toBe(true);
  });
});

describe('ConfigError', () => {
  it('lists every issue in its message and keeps them as data', () => {
    let caught: unknown;
    try {
      defineConfig({ lanes: { latency: { sla: { maxQueueWaitMs: -5 } } }, service: '' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.issues).toEqual([
      { path: 'service', message: 'must not be empty (got "")' },
      { path: 'lanes.latency.sla.maxQueueWaitMs', message: 'must be > 0 (got -5)' },
    ]);
    expect(error.message).toBe(
      'invalid gemini-lanes configuration:\n  - service must not be empty (got "")\n  - lanes.latency.sla.maxQueueWaitMs must be > 0 (got -5)',
    );
  });
});
