import {
  ATTR,
  type Clock,
  costOf,
  LaneClosedError,
  type PriceTable,
  resolvePriceTable,
  type ThroughputLaneConfig,
} from '@gemini-lanes/core';
import { guard, type Telemetry } from '@gemini-lanes/otel';
import type {
  EmbedContentParameters,
  EmbedContentResponse,
  GenerateContentParameters,
  GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import { diag } from '@opentelemetry/api';
import { runBatchJob } from '../batch/batch-job.js';
import type { BatchApiOptions } from '../batch/batch-options.js';
import type { Job, JobResult, RunJobOptions } from '../jobs/job-types.js';
import { type JobInput, runJob } from '../jobs/run-job.js';
import { estimateInputTokens } from '../latency/token-estimate.js';
import { createLaneClient } from '../pool/lane-client.js';
import type { LaneConnectionPool, PoolStatsSnapshot } from '../pool/lane-connection-pool.js';
import type { QuotaLimiter } from '../quota/quota-limiter.js';
import { EmbeddingBatcher } from './embedding-batcher.js';
import { type Sleep, ThroughputExecutor, validTimeout } from './throughput-executor.js';

const POOL_STATES = ['connected', 'free', 'pending', 'queued', 'running'] as const;

export interface ThroughputLaneOptions {
  /** API key; default `GEMINI_API_KEY` or `GOOGLE_API_KEY` from the environment. Never logged. */
  apiKey?: string | undefined;
  /** The process's telemetry (`createTelemetry(config)`); without it the SDK's default instrumentation applies. */
  telemetry?: Telemetry | undefined;
  /** The shared quota limiter; without it the lane debits no quota and hears no pressure. */
  quota?: QuotaLimiter | undefined;
  /** Overrides `endpoints[0].url` (the emulator in tests). */
  baseUrl?: string | undefined;
  /** Measures latency and paces the concurrency limiter and retry budget. */
  clock?: Clock | undefined;
  /** Uniform in [0, 1), for the backoff's jitter. Default `Math.random`. */
  random?: (() => number) | undefined;
  /** How the lane waits between attempts (rejecting with the signal's reason when it aborts). */
  sleep?: Sleep | undefined;
}

/** Per-call options of the throughput lane. */
export interface ThroughputCallOptions {
  /** Cancels waiting or running work and frees its slot; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Deadline of each attempt (not of the wait for a slot or quota); default `timeoutMs` of the configuration. */
  timeoutMs?: number;
  /** Called before each upstream attempt with its number (1, 2, ...); errors it throws are reported, not raised. */
  onAttempt?: (attempt: number) => void;
  /**
   * `low` waits for a slot behind every `normal` call (default): what `run()` gives a job's
   * items, so an embedding or a call a request is waiting for never queues behind a backlog.
   */
  priority?: 'normal' | 'low';
}

/**
 * Options of `run()`: the job runner's (output, checkpoint, resume, signal, ...) and, in
 * `batch-api` mode, the Batch API's (`chunkSize`, `pollIntervalMs`, `inlineLimitBytes`, ...;
 * ignored in `parallel` mode, as `maxWindow`, `checkpointEvery` and `checkpointIntervalMs` are
 * in `batch-api` mode). The lane supplies the concurrency (its adaptive limit, with up to
 * `concurrency.max` items submitted so the overflow waits as the lane's backlog) and the cost
 * (the price table: standard tier in `parallel` mode, batch tier in `batch-api` mode).
 */
export interface ThroughputRunOptions
  extends Omit<RunJobOptions, 'concurrency' | 'maxInFlight' | 'cost'>,
    BatchApiOptions {
  /**
   * `parallel`: each line through the lane's `generateContent`. `batch-api`: the lines through
   * the Gemini Batch API at half price, results in input order. Default `batch.mode` of the
   * lane's configuration.
   */
  mode?: 'parallel' | 'batch-api';
}

/** What the throughput lane is doing now. */
export interface ThroughputLaneStats {
  /** The adaptive concurrency limit in force. */
  limit: number;
  /** Calls holding a slot: waiting for quota, sending, or between attempts. */
  inflight: number;
  /** Calls waiting for a slot. */
  backlog: number;
  pool: PoolStatsSnapshot;
}

/** Batch traffic: as many tokens per second as the quota allows, every call eventually answered or failed for a reason. */
export interface ThroughputLane {
  /** The lane's own instrumented client (its own connection pool); for calls the lane does not wrap. */
  readonly client: GoogleGenAI;
  generateContent(
    params: GenerateContentParameters,
    options?: ThroughputCallOptions,
  ): Promise<GenerateContentResponse>;
  /**
   * Chunks reach the caller as they arrive; the slot is held until the stream ends or is
   * abandoned. Retried only before the first chunk; `timeoutMs` bounds the wait for it.
   */
  generateContentStream(
    params: GenerateContentParameters,
    options?: ThroughputCallOptions,
  ): AsyncGenerator<GenerateContentResponse>;
  /** Micro-batched: merged with concurrent calls for the same model and config into one request. */
  embedContent(
    params: EmbedContentParameters,
    options?: ThroughputCallOptions,
  ): Promise<EmbedContentResponse>;
  /**
   * Runs a JSONL file of `{ id, request }` lines (or an iterable of them) through
   * `generateContent` (`mode: 'parallel'`) or the Gemini Batch API at half price
   * (`mode: 'batch-api'`, results in input order), writing one
   * `{ id, line, response | error, usage, costUsd, attempts }` line per input line to
   * `options.output`. A file source is checkpointed: run it again with the same arguments after
   * a crash and it continues, with exactly one result per input line (and, in `batch-api` mode,
   * without creating a batch the crashed run had created).
   */
  run(source: JobInput, options: ThroughputRunOptions): Job;
  stats(): ThroughputLaneStats;
  /** Rejects waiting work with `LaneClosedError`, lets running attempts finish, closes the connections. */
  close(): Promise<void>;
}

class ThroughputLaneImpl implements ThroughputLane {
  readonly client: GoogleGenAI;
  readonly #pool: LaneConnectionPool;
  readonly #executor: ThroughputExecutor;
  readonly #batcher: EmbeddingBatcher;
  readonly #unobserve: Array<() => void> = [];
  readonly #config: ThroughputLaneConfig;
  readonly #telemetry: Telemetry | undefined;
  readonly #prices: PriceTable;
  #closed: Promise<void> | undefined;

  constructor(config: ThroughputLaneConfig, options: ThroughputLaneOptions) {
    const { client, pool, origins } = createLaneClient(config, {
      lane: 'throughput',
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      telemetry: options.telemetry,
      requestTimeoutMs: config.timeoutMs,
    });
    this.#config = config;
    this.#telemetry = options.telemetry;
    this.#prices = options.telemetry?.prices ?? resolvePriceTable({});
    this.#pool = pool;
    this.client = client;
    this.#executor = new ThroughputExecutor({
      concurrency: config.concurrency,
      retry: config.retry,
      timeoutMs: config.timeoutMs,
      quota: options.quota,
      telemetry: options.telemetry,
      clock: options.clock,
      random: options.random,
      sleep: options.sleep,
    });
    this.#batcher = new EmbeddingBatcher({
      maxBatchSize: config.embedding.maxBatchSize,
      maxDelayMs: config.embedding.maxDelayMs,
      send: (params, callOptions) =>
        this.#executor.execute(
          {
            model: params.model,
            operation: 'embeddings',
            inputTokens: estimateInputTokens({ contents: params.contents }),
            send: ({ signal }) =>
              this.client.models.embedContent({
                ...params,
                config: { ...params.config, abortSignal: signal },
              }),
          },
          callOptions,
        ),
    });
    this.#observe(options.telemetry, options.quota);
    if (config.pool.prewarm > 0) {
      void this.#pool.prewarm(origins).then((failures) => {
        for (const failure of failures) {
          diag.warn(
            `@gemini-lanes/lanes: throughput lane could not pre-warm a connection to ${failure.origin}`,
            failure.error,
          );
        }
      });
      this.#pool.keepWarm(origins);
    }
  }

  stats(): ThroughputLaneStats {
    return {
      limit: this.#executor.limit,
      inflight: this.#executor.inflight,
      backlog: this.#executor.backlog,
      pool: this.#pool.stats(),
    };
  }

  async generateContent(
    params: GenerateContentParameters,
    options: ThroughputCallOptions = {},
  ): Promise<GenerateContentResponse> {
    return this.#executor.execute(
      {
        model: params.model,
        operation: 'generate_content',
        inputTokens: estimateInputTokens(params),
        send: ({ signal }) => this.client.models.generateContent(withSignal(params, signal)),
      },
      workOptions(options, params.config?.abortSignal),
      (response) => response.usageMetadata?.promptTokenCount,
    );
  }

  async *generateContentStream(
    params: GenerateContentParameters,
    options: ThroughputCallOptions = {},
  ): AsyncGenerator<GenerateContentResponse> {
    const lease = await this.#executor.run(
      {
        model: params.model,
        operation: 'generate_content',
        inputTokens: estimateInputTokens(params),
        // An attempt succeeds with its first chunk: after it, a retry would repeat what the
        // caller has seen, and the deadline has done its job (the pool's body timeout bounds
        // the gaps between chunks).
        send: async ({ signal, disarm }) => {
          const stream = await this.client.models.generateContentStream(withSignal(params, signal));
          const iterator = stream[Symbol.asyncIterator]();
          try {
            const first = await iterator.next();
            disarm();
            return { iterator, first };
          } catch (error) {
            await iterator.return?.(undefined).catch(() => undefined);
            throw error;
          }
        },
      },
      workOptions(options, params.config?.abortSignal),
    );
    const { iterator } = lease.value;
    let finished = false;
    let promptTokens: number | undefined;
    try {
      let next = lease.value.first;
      while (!next.done) {
        promptTokens = next.value.usageMetadata?.promptTokenCount ?? promptTokens;
        yield next.value;
        next = await iterator.next();
      }
      finished = true;
      await lease.settle(promptTokens);
    } catch (error) {
      finished = true;
      throw lease.failure(error);
    } finally {
      if (!finished) {
        // The caller broke out: end the SDK's stream so its span ends and the socket is freed.
        await iterator.return?.(undefined).catch(() => undefined);
      }
      lease.release(finished);
    }
  }

  async embedContent(
    params: EmbedContentParameters,
    options: ThroughputCallOptions = {},
  ): Promise<EmbedContentResponse> {
    // Checked here, not when the batch is sent, so the caller with the bad option hears of it.
    validTimeout(options.timeoutMs, 0);
    return this.#batcher.embed(params, options);
  }

  run(source: JobInput, options: ThroughputRunOptions): Job {
    const mode = options.mode ?? this.#config.batch.mode;
    if (mode !== 'parallel' && mode !== 'batch-api') {
      throw new TypeError(
        `throughput.run: options.mode must be 'parallel' or 'batch-api' (got ${JSON.stringify(mode)})`,
      );
    }
    const job =
      mode === 'batch-api'
        ? this.#runBatchApi(source, options)
        : this.#runParallel(source, options);
    const instruments = this.#telemetry?.instruments;
    if (instruments) {
      job.on('result', (result: JobResult) =>
        guard('job item metric', () =>
          instruments.jobItems.add(1, {
            [ATTR.lane]: 'throughput',
            [ATTR.itemState]: result.error === undefined ? 'completed' : 'failed',
          }),
        ),
      );
    }
    return job;
  }

  /** Every line through the Batch API, on the lane's own client (its batch calls instrumented). */
  #runBatchApi(source: JobInput, options: ThroughputRunOptions): Job {
    const batch = this.#config.batch;
    return runBatchJob(
      source,
      {
        client: this.client,
        telemetry: this.#telemetry,
        prices: this.#prices,
        lane: 'throughput',
        retry: this.#config.retry,
      },
      {
        ...options,
        pollIntervalMs: options.pollIntervalMs ?? batch.pollIntervalMs,
        inlineLimitBytes: options.inlineLimitBytes ?? batch.inlineLimitBytes,
      },
    );
  }

  #runParallel(source: JobInput, options: ThroughputRunOptions): Job {
    return runJob(
      source,
      (request, context) =>
        this.generateContent(request, {
          signal: context.signal,
          onAttempt: context.onAttempt,
          // A job's items wait behind callers' own calls for a slot.
          priority: 'low',
        }),
      {
        ...options,
        // Submit up to the lane's maximum: the lane's gate holds what its current limit does
        // not admit, so the limit can grow without waiting for the job, and the backlog metric
        // says that work is queued (what the throughput-floor alert looks for).
        concurrency: this.#config.concurrency.max,
        maxInFlight: this.#config.concurrency.max,
        cost: (response, request) => {
          const usage = response.usageMetadata;
          if (usage === undefined) return undefined;
          const breakdown = costOf(usage, request.model, 'standard', this.#prices);
          return breakdown.known ? breakdown.usd.total : undefined;
        },
      },
    );
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#batcher.close(() => new LaneClosedError());
      this.#executor.close();
      for (const unobserve of this.#unobserve.splice(0)) unobserve();
      await this.#pool.close();
    })();
    return this.#closed;
  }

  /** Gauges read at every collection, so an idle lane never exports a stale reading. */
  #observe(telemetry: Telemetry | undefined, quota: QuotaLimiter | undefined): void {
    const instruments = telemetry?.instruments;
    if (!instruments) return;
    this.#unobserve.push(
      instruments.concurrencyLimit.addCallback((observe) =>
        observe(this.#executor.limit, { [ATTR.lane]: 'throughput' }),
      ),
      instruments.poolConnections.addCallback((observe) => {
        const stats = this.#pool.stats();
        for (const state of POOL_STATES) {
          observe(stats[state], { [ATTR.lane]: 'throughput', [ATTR.poolState]: state });
        }
      }),
    );
    if (quota && telemetry) {
      this.#unobserve.push(
        instruments.quotaUtilization.addCallback((observe) => {
          // Each lane reports its own share of the quota.
          for (const u of quota.utilization()) {
            if (u.lane !== 'throughput') continue;
            observe(u.value, {
              [ATTR.lane]: u.lane,
              [ATTR.quotaDimension]: u.dimension,
              [ATTR.requestModel]: telemetry.modelLabel(u.model),
            });
          }
        }),
      );
    }
    guard('backlog metric', () => instruments.backlog.add(0, { [ATTR.lane]: 'throughput' }));
    guard('in-flight metric', () => instruments.inflight.add(0, { [ATTR.lane]: 'throughput' }));
  }
}

/** The caller's signal and the request's own `config.abortSignal`, as one. */
function workOptions(options: ThroughputCallOptions, own: AbortSignal | undefined) {
  const signals = [options.signal, own].filter((s) => s !== undefined);
  return {
    signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0],
    timeoutMs: options.timeoutMs,
    onAttempt: options.onAttempt,
    priority: options.priority,
  };
}

function withSignal(params: GenerateContentParameters, signal: AbortSignal) {
  return { ...params, config: { ...params.config, abortSignal: signal } };
}

/**
 * The throughput lane: its own instrumented `GoogleGenAI` client on its own pool; calls run
 * under an adaptive concurrency limit (AIMD or gradient) that 429s, timeouts and the latency
 * lane's pressure signals cut; each attempt takes the shared quota above the latency lane's
 * reserve, waiting for it as long as needed; retryable failures are retried with full-jitter
 * backoff honouring `RetryInfo`, within `retry.maxAttempts` and the retry budget; concurrent
 * `embedContent` calls are merged into batched requests.
 */
export function createThroughputLane(
  config: ThroughputLaneConfig,
  options: ThroughputLaneOptions = {},
): ThroughputLane {
  return new ThroughputLaneImpl(config, options);
}
