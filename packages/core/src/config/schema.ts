import { z } from 'zod';

// Every field carries its description in the schema (`.describe()`): `configJsonSchema()` and
// `configReferenceMarkdown()` publish them (a test fails when the committed docs/ lag), so the
// editor hint, docs/configuration.md and this file say the same. A TSDoc comment here only adds
// what a reader of the code needs.

/** A Prometheus duration (`30s`, `5m`, `1h30m`, `28d`), as rules and dashboards write it. */
const duration = z
  .string()
  .regex(/^(\d+(ms|s|m|h|d|w|y))+$/, {
    error: 'must be a Prometheus duration such as 30s, 5m or 1h',
  })
  .meta({ title: 'Prometheus duration' });

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();
const positiveMs = z.number().positive();
const share = z.number().min(0).max(1);
const usdPerM = z.number().nonnegative();
const modelName = z.string().min(1);
/** A record keyed by model name; the title names the key in the reference (`quota.models.<model>`). */
const modelKey = modelName.meta({ title: 'model' });
const httpUrl = z.url({ protocol: /^https?$/ });

export const modelQuotaSchema = z
  .strictObject({
    rpm: positiveInt.describe('Requests per minute.'),
    inputTpm: positiveInt.describe('Input tokens per minute (the API counts input tokens only).'),
    rpd: positiveInt.describe('Requests per day.'),
  })
  .describe("The project's quota for one model, as the Gemini API counts it.");

const connectionPoolSchema = (defaults: { connections: number; prewarm: number }) =>
  z
    .strictObject({
      connections: positiveInt
        .default(defaults.connections)
        .describe('Most sockets the lane keeps open to one upstream.'),
      prewarm: nonNegativeInt
        .default(defaults.prewarm)
        .describe('Sockets opened before the first request and kept warm; at most `connections`.'),
      keepAliveTimeoutMs: positiveMs
        .default(60_000)
        .describe(
          "How long an idle socket stays open, in ms; undici's 4 s default would close it between bursts.",
        ),
      keepAliveMaxTimeoutMs: positiveMs
        .default(600_000)
        .describe(
          "The longest keep-alive, in ms, that a server's `Keep-Alive` hint may extend it to.",
        ),
      connectTimeoutMs: positiveMs
        .default(10_000)
        .describe('Deadline for setting up a connection (TCP and TLS), in ms.'),
    })
    .prefault({})
    .describe("The lane's own undici connection pool: the lanes never share sockets or queues.");

const endpointsSchema = z
  .array(
    z.strictObject({
      url: httpUrl.describe(
        'Base URL of the Gemini API or a compatible gateway, `http://` or `https://`.',
      ),
      name: z
        .string()
        .min(1)
        .optional()
        .describe('A name for the endpoint, unique within the lane; defaults to its URL.'),
    }),
  )
  .default([])
  .describe(
    "Upstream base URLs (regional gateways, emulator instances); empty means the SDK's default.",
  );

const apiVersionSchema = z
  .enum(['v1', 'v1beta'])
  .optional()
  .describe("Gemini API version the lane's client calls; unset uses the SDK's default (`v1`).");

const laneModelsSchema = z
  .array(modelName)
  .min(1)
  .default(['gemini-2.5-flash'])
  .describe(
    'Models this lane serves; the first is the default. Each needs an entry in `quota.models`.',
  );

const latencyLaneSchema = z
  .strictObject({
    models: laneModelsSchema,
    endpoints: endpointsSchema,
    apiVersion: apiVersionSchema,
    pool: connectionPoolSchema({ connections: 32, prewarm: 2 }),
    concurrency: positiveInt
      .default(32)
      .describe(
        'Requests in flight at once: what the upstream can serve within the SLA. The rest wait in the admission queue.',
      ),
    sla: z
      .strictObject({
        ttftMs: positiveMs
          .default(500)
          .describe(
            'Latency SLI threshold for streaming calls: time to first chunk, in ms. It is a histogram bucket boundary, the line the dashboards draw and the objective the alerts burn against.',
          ),
        durationMs: positiveMs
          .default(2500)
          .describe(
            "Latency SLI threshold for unary calls: the whole call's duration, in ms; at most `timeoutMs`.",
          ),
        maxQueueWaitMs: positiveMs
          .default(100)
          .describe(
            'A request that would wait longer than this (ms) in the admission queue is rejected at once with `QueueTimeoutError`, never served late; less than `timeoutMs`.',
          ),
        timeoutMs: positiveMs
          .default(10_000)
          .describe(
            'Per-request deadline in ms, queue wait included. Rejected and timed-out requests count as bad events in the SLIs.',
          ),
      })
      .prefault({})
      .describe(
        "The latency lane's SLI thresholds and deadlines. The lane enforces only the queue wait and the timeout; the thresholds are what the dashboards and alerts measure.",
      ),
    queue: z
      .strictObject({
        maxLength: positiveInt
          .default(256)
          .describe('Most requests waiting for admission; beyond it, `LaneOverloadedError`.'),
      })
      .prefault({})
      .describe('The admission queue, served by priority.'),
    cache: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Whether the lane caches responses.'),
        store: z
          .enum(['memory', 'redis'])
          .default('memory')
          .describe('`memory`: in this process; `redis`: shared by several replicas.'),
        redisUrl: z
          .string()
          .min(1)
          .optional()
          .describe('`redis://` URL of the cache; required when `store` is `redis`.'),
        ttlMs: positiveMs.default(300_000).describe('How long a cached response is served, in ms.'),
        maxBytes: positiveInt
          .default(64 * 1024 * 1024)
          .describe('Size bound of the memory store, in bytes.'),
        nondeterministic: z
          .boolean()
          .default(false)
          .describe(
            "Also cache requests whose temperature is not explicitly 0. Gemini's default temperature is 1.0, so by default only requests with `temperature: 0` are cached.",
          ),
      })
      .prefault({})
      .describe(
        'Response cache for identical requests (an exact match on the canonical request); concurrent identical misses make one upstream call.',
      ),
    hedging: z
      .strictObject({
        enabled: z.boolean().default(false).describe('Whether the lane hedges slow requests.'),
        percentile: z
          .number()
          .gt(0)
          .lt(1)
          .default(0.95)
          .describe(
            'Send a second attempt when the first has no chunk after this percentile of the observed time to first chunk.',
          ),
        minDelayMs: positiveMs
          .default(50)
          .describe('Never hedge earlier than this, in ms; less than `sla.timeoutMs`.'),
        delayMs: positiveMs
          .optional()
          .describe(
            'A fixed hedge delay, in ms, in place of the observed percentile; at least `minDelayMs`.',
          ),
        maxShare: share
          .default(0.1)
          .describe(
            'Hedges as a share of streaming requests over the last 10 s, at most. Each hedge also takes quota.',
          ),
      })
      .prefault({})
      .describe(
        'Hedged streams: a second attempt (to another endpoint when there is one) when the first has no chunk yet; the first to deliver a chunk wins and the other is aborted. Until 20 streams have been observed, only a fixed `delayMs` hedges.',
      ),
    endpointHealth: z
      .strictObject({
        decayMs: positiveMs
          .default(10_000)
          .describe(
            "Time constant, in ms, of each endpoint's moving average of time to first chunk (peak-sensitive: a slower answer counts at once, a faster one by this decay). An endpoint left idle decays towards 0 and is tried again.",
          ),
        ejectAfterFailures: positiveInt
          .default(3)
          .describe(
            'Consecutive failures (5xx, connection resets, timeouts) that eject an endpoint. A 429 is the project quota, not the endpoint, and never ejects.',
          ),
        ejectionMs: positiveMs
          .default(10_000)
          .describe(
            'How long a first ejection lasts, in ms; each ejection in a row doubles it, up to `maxEjectionMs`. A recovered endpoint is ejected again by its first failure.',
          ),
        maxEjectionMs: positiveMs
          .default(120_000)
          .describe('Longest ejection, in ms; at least `ejectionMs`.'),
      })
      .prefault({})
      .describe(
        'How the lane chooses among several `endpoints`: the lowest moving average of time to first chunk (or of duration, for unary calls) weighted by requests in flight, with outlier ejection and timed recovery. The last endpoint standing is never ejected.',
      ),
    fallbackModel: modelName
      .optional()
      .describe(
        'Model for one attempt when the primary cannot answer in time, taken only if its quota has room at once: the shared quota would hold the primary past the queue-wait budget (`queue`), the upstream refused it with 429 (`rate_limited`), or answered 503, its capacity full (`overloaded`); must differ from `models[0]` and have an entry in `quota.models`.',
      ),
  })
  .prefault({})
  .describe(
    'The latency lane: interactive traffic (chat, coding assistants), judged by tail latency and time to first token.',
  );

const throughputLaneSchema = z
  .strictObject({
    models: laneModelsSchema,
    endpoints: endpointsSchema,
    apiVersion: apiVersionSchema,
    pool: connectionPoolSchema({ connections: 64, prewarm: 0 }),
    concurrency: z
      .strictObject({
        min: positiveInt.default(1).describe('Lowest concurrency limit.'),
        max: positiveInt.default(64).describe('Highest concurrency limit.'),
        initial: positiveInt
          .default(4)
          .describe('Concurrency limit at start, between `min` and `max`.'),
        algorithm: z
          .enum(['aimd', 'gradient'])
          .default('aimd')
          .describe(
            "`aimd`: halve on a 429, a timeout or the latency lane's pressure signal, +1 per limit's worth of successes while the lane is busy (loss-based, as TCP: answer lengths vary too much for latency to say anything); `gradient`: follow the latency gradient (for calls of similar size).",
          ),
      })
      .prefault({})
      .describe(
        'Adaptive concurrency: how many requests the lane keeps in flight, found under the shared quota.',
      ),
    retry: z
      .strictObject({
        maxAttempts: positiveInt.default(6).describe('Attempts per request, the first included.'),
        baseDelayMs: positiveMs
          .default(500)
          .describe(
            'The first retry waits up to this long (ms); the ceiling doubles with each attempt.',
          ),
        maxDelayMs: positiveMs.default(60_000).describe('Ceiling of every retry delay, in ms.'),
        budget: share
          .default(0.2)
          .describe('Retries may be at most this share of requests (a retry budget).'),
      })
      .prefault({})
      .describe(
        "Retries: exponential backoff with full jitter, honouring the server's `RetryInfo.retryDelay`, within a retry budget.",
      ),
    batch: z
      .strictObject({
        mode: z
          .enum(['parallel', 'batch-api'])
          .default('parallel')
          .describe(
            'Default mode of a job: `parallel` sends each request through the lane; `batch-api` submits the job through the Gemini Batch API (half price, results within hours).',
          ),
        pollIntervalMs: positiveMs
          .default(30_000)
          .describe('First poll interval of a Batch API job, in ms; polling backs off from here.'),
        inlineLimitBytes: positiveInt
          .default(20 * 1024 * 1024)
          .describe(
            'Batch API requests are sent inline up to this size (bytes); beyond it, as a JSONL file through the Files API.',
          ),
      })
      .prefault({})
      .describe('Jobs (`run()`): JSONL in and out, request by request or through the Batch API.'),
    embedding: z
      .strictObject({
        maxBatchSize: positiveInt
          .default(100)
          .describe('Concurrent `embedContent` calls merged into one request, at most.'),
        maxDelayMs: z
          .number()
          .nonnegative()
          .default(10)
          .describe('How long a call waits for others to join its batch, in ms.'),
      })
      .prefault({})
      .describe('Micro-batching of concurrent `embedContent` calls.'),
    timeoutMs: positiveMs.default(600_000).describe('Per-request deadline, in ms.'),
    floorTokensPerSecond: z
      .number()
      .nonnegative()
      .default(0)
      .describe(
        "Alert when the lane's tokens per second fall below this while work is queued; 0 turns the alert off.",
      ),
  })
  .prefault({})
  .describe(
    'The throughput lane: batch work (bulk generation, document pipelines), judged by sustained tokens per second and cost per token.',
  );

const objectiveSchema = (target: number, description: string) =>
  z
    .strictObject({
      target: z
        .number()
        .gt(0)
        .lt(1)
        .default(target)
        .describe(
          'Share of events that must be good over the SLO window; the error budget is 1 − target. Refused when so low that the page alert could never fire.',
        ),
    })
    .prefault({})
    .describe(description);

export const sloWindowSchema = z.enum(['28d', '30d']);

const laneSloSchema = (lane: 'latency' | 'throughput') =>
  z
    .strictObject({
      window: sloWindowSchema
        .default('30d')
        .describe('The SLO window; it sets the burn-rate factors of the alerts.'),
      availability: objectiveSchema(
        lane === 'latency' ? 0.999 : 0.99,
        'Availability: the share of requests that do not fail (errors, rejections and timeouts are bad; calls the caller cancelled do not count).',
      ),
      latency: objectiveSchema(
        0.99,
        lane === 'latency'
          ? "Latency: the share of calls within the lane's SLA (`lanes.latency.sla.ttftMs` for streams, `sla.durationMs` for unary calls); rejected and timed-out requests are bad."
          : 'Latency: accepted, but the throughput lane has no per-call SLA, so no alert uses it; its tokens-per-second floor and stall alerts watch it instead.',
      ),
      pageMinRequestsPerHour: z
        .number()
        .nonnegative()
        .default(60)
        .describe(
          'Paging alerts stay quiet below this many requests per hour (too few events to judge).',
        ),
    })
    .prefault({})
    .describe(`Objectives of the ${lane} lane.`);

const severitySchema = z.string().regex(/^[a-z][a-z0-9_]*$/, {
  error: 'must be a lowercase label value such as critical or warning',
});

export const configSchema = z.strictObject({
  service: z
    .string()
    .min(1)
    .default('gemini-app')
    .describe(
      'The service name: the `service.name` resource attribute, and the scrape `job` label that dashboards and rules select on (unless `prometheus.selectors.job` sets another).',
    ),
  environment: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Deployment environment (the `deployment.environment.name` resource attribute), when one service runs in several.',
    ),
  quota: z
    .strictObject({
      models: z
        .record(modelKey, modelQuotaSchema)
        .default({
          'gemini-2.5-pro': { rpm: 150, inputTpm: 2_000_000, rpd: 10_000 },
          'gemini-2.5-flash': { rpm: 1_000, inputTpm: 1_000_000, rpd: 10_000 },
          'gemini-2.5-flash-lite': { rpm: 4_000, inputTpm: 4_000_000, rpd: 100_000 },
        })
        .describe(
          'Quota per model, as the Gemini API enforces it for the project; the defaults are the paid tier 1. Every model a lane may call needs an entry. Setting this replaces the defaults: list every model you use.',
        ),
      latencyReservedShare: z
        .number()
        .min(0)
        .lt(1)
        .default(0.2)
        .describe(
          'Share of every quota dimension only the latency lane may use, so batch work can never starve interactive traffic.',
        ),
      store: z
        .enum(['memory', 'redis'])
        .default('memory')
        .describe(
          'Where the shared quota state lives: `memory` in this process, `redis` for several replicas.',
        ),
      redisUrl: z
        .string()
        .min(1)
        .optional()
        .describe('`redis://` URL of the quota store; required when `store` is `redis`.'),
    })
    .prefault({})
    .describe("The project's Gemini quota, debited by both lanes through one shared limiter."),
  lanes: z
    .strictObject({ latency: latencyLaneSchema, throughput: throughputLaneSchema })
    .prefault({})
    .describe('The two lanes, each with its own client, connection pool and queue.'),
  slos: z
    .strictObject({ latency: laneSloSchema('latency'), throughput: laneSloSchema('throughput') })
    .prefault({})
    .describe(
      'Service-level objectives per lane: the targets of the burn-rate alerts and the SLO panels.',
    ),
  alerts: z
    .strictObject({
      namePrefix: z
        .string()
        .regex(/^[A-Z][A-Za-z0-9]*$/, { error: 'must be CamelCase, e.g. GeminiLanes' })
        .default('GeminiLanes')
        .describe('Prefix of every alert name, in CamelCase (`GeminiLanesRateLimitStorm`).'),
      rejectionRatio: share
        .default(0.05)
        .describe(
          'Alert when latency-lane rejections (queue timeout or queue full) exceed this share of its requests.',
        ),
      rateLimitedRatio: share
        .default(0.1)
        .describe(
          "Alert when 429 responses exceed this share of a lane's upstream calls (first attempts and retries).",
        ),
      ttftP95For: duration
        .default('10m')
        .describe(
          'Alert when the p95 time to first chunk stays above `lanes.latency.sla.ttftMs` for this long.',
        ),
      costBudgetUsdPerHour: z
        .number()
        .nonnegative()
        .default(0)
        .describe(
          'Alert when both lanes together spend more USD per hour than this, by the price table; 0 turns the alert off.',
        ),
      batchStallPeriod: duration
        .default('30m')
        .describe('A batch job with no progress for this long is stalled.'),
      severities: z
        .strictObject({
          page: severitySchema
            .default('critical')
            .describe('`severity` of the alerts that page: fast SLO burn with enough traffic.'),
          ticket: severitySchema
            .default('warning')
            .describe('`severity` of every other alert: look at it in working hours.'),
        })
        .prefault({})
        .describe('The `severity` label values that route alerts (see the Alertmanager example).'),
      runbookBaseUrl: z
        .string()
        .min(1)
        .default('alerts/runbook.md')
        .describe(
          'Base of every `runbook_url`; each alert links to `<base>#<alert-name-lowercase>`.',
        ),
      timeScale: z
        .number()
        .positive()
        .max(1)
        .default(1)
        .describe(
          'Multiplies every window and `for` duration of the generated rules: 1 in production; a test profile uses e.g. 0.01, so a 1 h window becomes 36 s and alerts fire within a test.',
        ),
    })
    .prefault({})
    .describe('Thresholds, windows and labels of the generated Prometheus alerts.'),
  pricing: z
    .record(
      modelKey,
      z
        .strictObject({
          inputPerM: usdPerM.optional().describe('Input (prompt) tokens.'),
          outputPerM: usdPerM.optional().describe('Output tokens, thinking tokens included.'),
          cachedInputPerM: usdPerM
            .optional()
            .describe('Cached input tokens; a model without a built-in price pays `inputPerM`.'),
          audioInputPerM: usdPerM
            .optional()
            .describe(
              'Audio input tokens, for a model that prices audio apart from text, image and video.',
            ),
          cachedAudioInputPerM: usdPerM.optional().describe('Cached audio input tokens.'),
          longContext: z
            .strictObject({
              thresholdTokens: positiveInt.describe(
                'Prompts with more tokens than this are charged the prices below.',
              ),
              inputPerM: usdPerM.describe('Input tokens of a long prompt.'),
              outputPerM: usdPerM.describe('Output tokens of a long prompt.'),
              cachedInputPerM: usdPerM.describe('Cached input tokens of a long prompt.'),
            })
            .optional()
            .describe(
              'Prices for long prompts (Gemini 2.5 Pro: above 200,000 tokens); replaces the built-in ones whole.',
            ),
        })
        .describe('Prices of one model, USD per 1M tokens.'),
    )
    .default({})
    .describe(
      'Overrides and additions to the built-in price table, USD per 1M tokens, by model name. An entry for a built-in model changes only the prices it names; a new model needs at least `inputPerM` and `outputPerM`.',
    ),
  prometheus: z
    .strictObject({
      naming: z
        .enum(['otel-js', 'unit-suffixed'])
        .default('otel-js')
        .describe(
          '`otel-js`: metric names as @opentelemetry/exporter-prometheus writes them (no unit suffix); `unit-suffixed`: as an OpenTelemetry Collector writes them (`_seconds`).',
        ),
      selectors: z
        .record(
          z
            .string()
            .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'must be a Prometheus label name' })
            .meta({ title: 'label' }),
          z.string().describe('The exact value the label must have.'),
        )
        .default({})
        .describe(
          'Label matchers added to every dashboard query and rule, e.g. `{ "namespace": "prod" }`. The `job` matcher is `service` unless set here.',
        ),
      rateInterval: duration
        .default('5m')
        .describe('Range of `rate()` in the recording rules and alerts.'),
    })
    .prefault({})
    .describe('How the dashboards and rules name and select the metrics in Prometheus.'),
  dashboards: z
    .strictObject({
      datasourceUid: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Pin the Prometheus datasource by uid; unset leaves the choice to the dashboards' `datasource` variable.",
        ),
      tags: z
        .array(z.string().min(1))
        .default(['gemini-lanes'])
        .describe('Tags of every generated dashboard.'),
      namePrefix: z
        .string()
        .min(1)
        .default('Gemini Lanes')
        .describe(
          'Start of every dashboard title (`Gemini Lanes / Latency`) and the name of the provisioned folder.',
        ),
    })
    .prefault({})
    .describe('The generated Grafana dashboards.'),
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
