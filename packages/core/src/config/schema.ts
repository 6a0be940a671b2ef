import { z } from 'zod';

/** A Prometheus duration (`30s`, `5m`, `1h30m`, `28d`), as rules and dashboards write it. */
const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, {
  error: 'must be a Prometheus duration such as 30s, 5m or 1h',
});

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const positiveMs = z.number().positive();
const share = z.number().min(0).max(1);
const modelName = z.string().min(1);
const httpUrl = z.url({ protocol: /^https?$/ });

/** The project's quota for one model, as the Gemini API counts it. */
export const modelQuotaSchema = z.strictObject({
  /** Requests per minute. */
  rpm: positiveInt,
  /** Input tokens per minute (the API counts input tokens only). */
  inputTpm: positiveInt,
  /** Requests per day. */
  rpd: positiveInt,
});

const connectionPoolSchema = (defaults: { connections: number; prewarm: number }) =>
  z
    .strictObject({
      /** Most sockets the lane keeps to one upstream. */
      connections: positiveInt.default(defaults.connections),
      /** Sockets opened before the first request and kept warm (latency lane). */
      prewarm: nonNegativeInt.default(defaults.prewarm),
      /** How long an idle socket is kept; undici's 4 s default closes them between bursts. */
      keepAliveTimeoutMs: positiveMs.default(60_000),
      /** The longest keep-alive a server hint may extend it to. */
      keepAliveMaxTimeoutMs: positiveMs.default(600_000),
      /** TCP and TLS set-up deadline. */
      connectTimeoutMs: positiveMs.default(10_000),
    })
    .prefault({});

/** Upstream base URLs (regional gateways or emulator instances); empty means the SDK's default. */
const endpointsSchema = z
  .array(z.strictObject({ url: httpUrl, name: z.string().min(1).optional() }))
  .default([]);
/** `v1` or `v1beta`; unset uses the SDK's default. */
const apiVersionSchema = z.enum(['v1', 'v1beta']).optional();

const latencyLaneSchema = z
  .strictObject({
    /** Models this lane serves; the first is the default. */
    models: z.array(modelName).min(1).default(['gemini-2.5-flash']),
    endpoints: endpointsSchema,
    apiVersion: apiVersionSchema,
    pool: connectionPoolSchema({ connections: 32, prewarm: 2 }),
    /** Requests in flight at once: what the upstream can serve within the SLA. */
    concurrency: positiveInt.default(32),
    sla: z
      .strictObject({
        /** Latency SLI threshold for streaming calls: time to first chunk. */
        ttftMs: positiveMs.default(500),
        /** Latency SLI threshold for unary calls: whole duration. */
        durationMs: positiveMs.default(2500),
        /** A request that would wait longer than this in the admission queue is rejected at once. */
        maxQueueWaitMs: positiveMs.default(100),
        /** Per-request deadline, queue wait included. */
        timeoutMs: positiveMs.default(10_000),
      })
      .prefault({}),
    queue: z
      .strictObject({
        /** Most requests waiting for admission; beyond it, `LaneOverloadedError`. */
        maxLength: positiveInt.default(256),
      })
      .prefault({}),
    cache: z
      .strictObject({
        enabled: z.boolean().default(true),
        store: z.enum(['memory', 'redis']).default('memory'),
        /** `redis://` URL when `store` is `redis`. */
        redisUrl: z.string().min(1).optional(),
        ttlMs: positiveMs.default(300_000),
        /** Size bound of the memory store. */
        maxBytes: positiveInt.default(64 * 1024 * 1024),
        /** Cache requests whose temperature is not explicitly 0 (Gemini's default is 1.0). */
        nondeterministic: z.boolean().default(false),
      })
      .prefault({}),
    hedging: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Send a second attempt when the first has no chunk after this percentile of observed TTFT. */
        percentile: z.number().gt(0).lt(1).default(0.95),
        /** Never hedge earlier than this. */
        minDelayMs: positiveMs.default(50),
        /** Hedges as a share of requests, at most. */
        maxShare: share.default(0.1),
      })
      .prefault({}),
    /** Model used when the primary would break the deadline (queue or 429). */
    fallbackModel: modelName.optional(),
  })
  .prefault({});

const throughputLaneSchema = z
  .strictObject({
    models: z.array(modelName).min(1).default(['gemini-2.5-flash']),
    endpoints: endpointsSchema,
    apiVersion: apiVersionSchema,
    pool: connectionPoolSchema({ connections: 64, prewarm: 0 }),
    concurrency: z
      .strictObject({
        min: positiveInt.default(1),
        max: positiveInt.default(64),
        initial: positiveInt.default(4),
        /** `aimd`: halve on 429 or timeout, +1 while latency holds; `gradient`: follow the latency gradient. */
        algorithm: z.enum(['aimd', 'gradient']).default('aimd'),
      })
      .prefault({}),
    retry: z
      .strictObject({
        /** Attempts per request, the first included. */
        maxAttempts: positiveInt.default(6),
        baseDelayMs: positiveMs.default(500),
        maxDelayMs: positiveMs.default(60_000),
        /** Retries may be at most this share of requests (a retry budget). */
        budget: share.default(0.2),
      })
      .prefault({}),
    batch: z
      .strictObject({
        mode: z.enum(['parallel', 'batch-api']).default('parallel'),
        /** First poll interval of a Batch API job; polling backs off from here. */
        pollIntervalMs: positiveMs.default(30_000),
        /** Requests sent inline up to this size; beyond it, as a JSONL file through the Files API. */
        inlineLimitBytes: positiveInt.default(20 * 1024 * 1024),
      })
      .prefault({}),
    embedding: z
      .strictObject({
        /** Concurrent `embedContent` calls merged into one request, at most. */
        maxBatchSize: positiveInt.default(100),
        /** How long a call waits for others to join its batch. */
        maxDelayMs: z.number().nonnegative().default(10),
      })
      .prefault({}),
    /** Per-request deadline. */
    timeoutMs: positiveMs.default(600_000),
    /** Alert when tokens per second fall below this while work is queued; 0 turns the alert off. */
    floorTokensPerSecond: z.number().nonnegative().default(0),
  })
  .prefault({});

const objectiveSchema = (target: number) =>
  z.strictObject({ target: z.number().gt(0).lt(1).default(target) }).prefault({});

export const sloWindowSchema = z.enum(['28d', '30d']);

const laneSloSchema = (latency: boolean) =>
  z
    .strictObject({
      window: sloWindowSchema.default('30d'),
      availability: objectiveSchema(latency ? 0.999 : 0.99),
      /** Share of calls within the lane's SLA (its `sla.ttftMs` / `sla.durationMs`). */
      latency: objectiveSchema(0.99),
      /** Paging alerts stay quiet below this many requests per hour (too few events to judge). */
      pageMinRequestsPerHour: z.number().nonnegative().default(60),
    })
    .prefault({});

const severitySchema = z.string().regex(/^[a-z][a-z0-9_]*$/, {
  error: 'must be a lowercase label value such as critical or warning',
});

export const configSchema = z.strictObject({
  /** The service name: the `service.name` resource attribute, and the scrape `job` label that dashboards and rules select on. */
  service: z.string().min(1).default('gemini-app'),
  /** Deployment environment (`deployment.environment.name`), if you run several. */
  environment: z.string().min(1).optional(),
  quota: z
    .strictObject({
      /** Quota per model; defaults are the Gemini API's paid tier 1. */
      models: z.record(modelName, modelQuotaSchema).default({
        'gemini-2.5-pro': { rpm: 150, inputTpm: 2_000_000, rpd: 10_000 },
        'gemini-2.5-flash': { rpm: 1_000, inputTpm: 1_000_000, rpd: 10_000 },
        'gemini-2.5-flash-lite': { rpm: 4_000, inputTpm: 4_000_000, rpd: 100_000 },
      }),
      /** Share of every quota dimension only the latency lane may use, in [0, 1). */
      latencyReservedShare: z.number().min(0).lt(1).default(0.2),
      /** Where the shared quota state lives: this process, or Redis for several replicas. */
      store: z.enum(['memory', 'redis']).default('memory'),
      redisUrl: z.string().min(1).optional(),
    })
    .prefault({}),
  lanes: z
    .strictObject({ latency: latencyLaneSchema, throughput: throughputLaneSchema })
    .prefault({}),
  slos: z
    .strictObject({ latency: laneSloSchema(true), throughput: laneSloSchema(false) })
    .prefault({}),
  alerts: z
    .strictObject({
      /** Prefix of every alert name. */
      namePrefix: z
        .string()
        .regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'must be CamelCase, e.g. GeminiLanes' })
        .default('GeminiLanes'),
      /** Latency-lane rejections (queue timeout or full) as a share of its requests. */
      rejectionRatio: share.default(0.05),
      /** 429 responses as a share of upstream calls. */
      rateLimitedRatio: share.default(0.1),
      /** Time to first chunk p95 above the SLA for this long. */
      ttftP95For: duration.default('10m'),
      /** USD per hour across both lanes; 0 turns the cost alert off. */
      costBudgetUsdPerHour: z.number().nonnegative().default(0),
      /** A batch job with no progress for this long is stalled. */
      batchStallPeriod: duration.default('30m'),
      severities: z
        .strictObject({
          page: severitySchema.default('critical'),
          ticket: severitySchema.default('warning'),
        })
        .prefault({}),
      /** Base of every `runbook_url`; each alert links to `<base>#<alert-name-lowercase>`. */
      runbookBaseUrl: z.string().min(1).default('alerts/runbook.md'),
      /**
       * Multiplies every window and `for` duration of the generated rules. 1 in production;
       * a test profile uses e.g. 0.01 so a 1 h window becomes 36 s and alerts fire within a test.
       */
      timeScale: z.number().positive().max(1).default(1),
    })
    .prefault({}),
  /** Price overrides and additions, USD per 1M tokens, by model name. */
  pricing: z
    .record(
      modelName,
      z.strictObject({
        inputPerM: z.number().nonnegative().optional(),
        outputPerM: z.number().nonnegative().optional(),
        cachedInputPerM: z.number().nonnegative().optional(),
        audioInputPerM: z.number().nonnegative().optional(),
        cachedAudioInputPerM: z.number().nonnegative().optional(),
        longContext: z
          .strictObject({
            thresholdTokens: positiveInt,
            inputPerM: z.number().nonnegative(),
            outputPerM: z.number().nonnegative(),
            cachedInputPerM: z.number().nonnegative(),
          })
          .optional(),
      }),
    )
    .default({}),
  prometheus: z
    .strictObject({
      /** `otel-js`: names as @opentelemetry/exporter-prometheus writes them; `unit-suffixed`: as an OpenTelemetry Collector writes them (`_seconds`). */
      naming: z.enum(['otel-js', 'unit-suffixed']).default('otel-js'),
      /** Label matchers added to every query and rule, e.g. `{ job: 'chat-api' }`. */
      selectors: z
        .record(
          z
            .string()
            .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a Prometheus label name' }),
          z.string(),
        )
        .default({}),
      /** Range of `rate()` in recording rules and alerts. */
      rateInterval: duration.default('5m'),
    })
    .prefault({}),
  dashboards: z
    .strictObject({
      /** Pin the Prometheus datasource; unset leaves the choice to the `datasource` variable. */
      datasourceUid: z.string().min(1).optional(),
      tags: z.array(z.string().min(1)).default(['gemini-lanes']),
      namePrefix: z.string().min(1).default('Gemini Lanes'),
    })
    .prefault({}),
});

/** What a user writes: every field optional, defaults filled in by `defineConfig`. */
export type GeminiLanesConfigInput = z.input<typeof configSchema>;
/** The resolved configuration every package reads. */
export type GeminiLanesConfig = z.output<typeof configSchema>;
export type ModelQuota = z.output<typeof modelQuotaSchema>;
export type SloWindow = z.output<typeof sloWindowSchema>;
export type LatencyLaneConfig = GeminiLanesConfig['lanes']['latency'];
export type ThroughputLaneConfig = GeminiLanesConfig['lanes']['throughput'];
export type PricingOverrides = GeminiLanesConfig['pricing'];
