import type { GeminiLanesConfig } from '../config/schema.js';
import { ATTR, type AttributeKey } from './attributes.js';

/** GenAI semantic conventions version every `gen_ai.*` name here follows. */
export const SEMCONV_VERSION = '1.41.0';
/** Schema URL for the meter and tracer, so backends can translate names across versions. */
export const SCHEMA_URL = `https://opentelemetry.io/schemas/${SEMCONV_VERSION}`;

export type InstrumentKind = 'counter' | 'updowncounter' | 'histogram' | 'gauge';

export interface InstrumentSpec {
  /** OpenTelemetry instrument name. */
  readonly name: string;
  readonly kind: InstrumentKind;
  /** UCUM unit. */
  readonly unit: string;
  readonly description: string;
  /** Attribute keys the instrument may carry; no others are ever recorded. */
  readonly attributes: readonly AttributeKey[];
  /** Bucket boundary advice for histograms, before configuration thresholds are merged in. */
  readonly boundaries?: readonly number[];
  /** Thresholds (seconds) from the configuration that must be exact bucket boundaries. */
  readonly thresholds?: (config: GeminiLanesConfig) => readonly number[];
  /** Closed-set attributes whose every combination starts at 0 (counters only). */
  readonly preinitialize?: readonly AttributeKey[];
  /** Where the name is defined. */
  readonly source: 'semconv' | 'gemini-lanes';
}

/** GenAI semconv advice for operation duration and time to first chunk (seconds). */
export const DURATION_ADVICE = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
] as const;
/** GenAI semconv advice for token counts. */
export const TOKEN_ADVICE = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
] as const;
/** GenAI semconv advice for the time per output chunk (seconds). */
export const CHUNK_ADVICE = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5,
] as const;
/** Queue waits are short by design: milliseconds up to the largest plausible deadline. */
export const QUEUE_WAIT_ADVICE = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** The latency SLI thresholds: every one is a bucket boundary of both latency histograms. */
const sliThresholds = (config: GeminiLanesConfig) => [
  config.lanes.latency.sla.ttftMs / 1000,
  config.lanes.latency.sla.durationMs / 1000,
];

const GENAI_COMMON = [
  ATTR.operationName,
  ATTR.providerName,
  ATTR.requestModel,
  ATTR.responseModel,
  ATTR.serverAddress,
  ATTR.serverPort,
  ATTR.lane,
] as const;

/**
 * Every instrument gemini-lanes emits. Names, units, attributes and boundaries come from here
 * and nowhere else: the instrumentation creates them from this table, the dashboards and rules
 * query the Prometheus names derived from it.
 */
export const METRICS = {
  operationDuration: {
    name: 'gen_ai.client.operation.duration',
    kind: 'histogram',
    unit: 's',
    description:
      'GenAI operation duration. Unary and streaming calls are told apart by gen_ai.request.stream; failed calls carry error.type.',
    attributes: [...GENAI_COMMON, ATTR.errorType, ATTR.requestStream],
    boundaries: DURATION_ADVICE,
    thresholds: sliThresholds,
    source: 'semconv',
  },
  tokenUsage: {
    name: 'gen_ai.client.token.usage',
    kind: 'histogram',
    unit: '{token}',
    description:
      'Number of input and output tokens used per call; output includes thinking tokens, as billed.',
    attributes: [...GENAI_COMMON, ATTR.tokenType],
    boundaries: TOKEN_ADVICE,
    source: 'semconv',
  },
  timeToFirstChunk: {
    name: 'gen_ai.client.operation.time_to_first_chunk',
    kind: 'histogram',
    unit: 's',
    description:
      'Time from issuing a streaming request to its first chunk. A stream that fails before any chunk records the time to the failure with error.type, so it counts against the SLI.',
    attributes: [...GENAI_COMMON, ATTR.errorType],
    boundaries: DURATION_ADVICE,
    thresholds: sliThresholds,
    source: 'semconv',
  },
  timePerOutputChunk: {
    name: 'gen_ai.client.operation.time_per_output_chunk',
    kind: 'histogram',
    unit: 's',
    description: 'Time between consecutive chunks of a stream, after the first.',
    attributes: GENAI_COMMON,
    boundaries: CHUNK_ADVICE,
    source: 'semconv',
  },
  requests: {
    name: 'gemini_lanes.requests',
    kind: 'counter',
    unit: '{request}',
    description:
      'Lane requests by outcome. rejected (refused at admission) and timed_out (deadline passed before it was sent) never reach the upstream and count as bad events in the SLIs; a deadline passing during the upstream call is an error with error.type timeout; cancelled means the caller gave up.',
    attributes: [ATTR.lane, ATTR.requestModel, ATTR.operationName, ATTR.outcome],
    preinitialize: [ATTR.lane, ATTR.outcome],
    source: 'gemini-lanes',
  },
  queueDepth: {
    name: 'gemini_lanes.queue.depth',
    kind: 'updowncounter',
    unit: '{request}',
    description: 'Requests waiting in the admission queue.',
    attributes: [ATTR.lane, ATTR.priority],
    source: 'gemini-lanes',
  },
  queueWait: {
    name: 'gemini_lanes.queue.wait',
    kind: 'histogram',
    unit: 's',
    description: 'Time a request waited in the admission queue, admitted or not.',
    attributes: [ATTR.lane, ATTR.priority, ATTR.outcome],
    boundaries: QUEUE_WAIT_ADVICE,
    thresholds: (config) => [config.lanes.latency.sla.maxQueueWaitMs / 1000],
    source: 'gemini-lanes',
  },
  rejections: {
    name: 'gemini_lanes.rejections',
    kind: 'counter',
    unit: '{request}',
    description: 'Requests a lane refused before sending them, by reason.',
    attributes: [ATTR.lane, ATTR.rejectionReason, ATTR.priority],
    preinitialize: [ATTR.lane, ATTR.rejectionReason],
    source: 'gemini-lanes',
  },
  backlog: {
    name: 'gemini_lanes.backlog',
    kind: 'updowncounter',
    unit: '{request}',
    description: 'Throughput work queued in the lane or pending in jobs.',
    attributes: [ATTR.lane],
    source: 'gemini-lanes',
  },
  inflight: {
    name: 'gemini_lanes.inflight',
    kind: 'updowncounter',
    unit: '{request}',
    description: 'Requests sent upstream and not yet finished.',
    attributes: [ATTR.lane],
    source: 'gemini-lanes',
  },
  concurrencyLimit: {
    name: 'gemini_lanes.concurrency.limit',
    kind: 'gauge',
    unit: '{request}',
    description: 'The concurrency limit in force (adaptive in the throughput lane).',
    attributes: [ATTR.lane],
    source: 'gemini-lanes',
  },
  quotaUtilization: {
    name: 'gemini_lanes.quota.utilization',
    kind: 'gauge',
    unit: '1',
    description:
      'Share of the project quota used in its current window, by dimension, lane and model.',
    attributes: [ATTR.lane, ATTR.quotaDimension, ATTR.requestModel],
    source: 'gemini-lanes',
  },
  cacheLookups: {
    name: 'gemini_lanes.cache.lookups',
    kind: 'counter',
    unit: '{lookup}',
    description:
      'Response cache lookups by result (coalesced: joined an identical request in flight).',
    attributes: [ATTR.lane, ATTR.cacheResult],
    preinitialize: [ATTR.cacheResult],
    source: 'gemini-lanes',
  },
  cacheSize: {
    name: 'gemini_lanes.cache.size',
    kind: 'updowncounter',
    unit: 'By',
    description: 'Bytes held by the response cache.',
    attributes: [ATTR.lane],
    source: 'gemini-lanes',
  },
  cacheEvictions: {
    name: 'gemini_lanes.cache.evictions',
    kind: 'counter',
    unit: '{entry}',
    description: 'Cache entries evicted to stay under the size bound.',
    attributes: [ATTR.lane],
    source: 'gemini-lanes',
  },
  retries: {
    name: 'gemini_lanes.retries',
    kind: 'counter',
    unit: '{retry}',
    description: 'Retried upstream calls by reason.',
    attributes: [ATTR.lane, ATTR.retryReason, ATTR.requestModel],
    preinitialize: [ATTR.lane, ATTR.retryReason],
    source: 'gemini-lanes',
  },
  hedges: {
    name: 'gemini_lanes.hedges',
    kind: 'counter',
    unit: '{request}',
    description:
      'Hedged second attempts by outcome (won: the hedge answered first; lost: the first attempt did; refused: due, but the hedge share or the quota had no room).',
    attributes: [ATTR.lane, ATTR.hedgeOutcome],
    source: 'gemini-lanes',
  },
  fallbacks: {
    name: 'gemini_lanes.fallbacks',
    kind: 'counter',
    unit: '{request}',
    description:
      'Requests sent to the fallback model (labelled with it), by why the primary was skipped.',
    attributes: [ATTR.lane, ATTR.fallbackReason, ATTR.requestModel],
    source: 'gemini-lanes',
  },
  endpointEjections: {
    name: 'gemini_lanes.endpoint.ejections',
    kind: 'counter',
    unit: '{ejection}',
    description:
      'Upstream endpoints taken out of rotation after consecutive failures (the endpoints come from configuration, so the set is bounded).',
    attributes: [ATTR.lane, ATTR.serverAddress, ATTR.serverPort],
    source: 'gemini-lanes',
  },
  poolConnections: {
    name: 'gemini_lanes.pool.connections',
    kind: 'gauge',
    unit: '{connection}',
    description:
      "The lane's connection pool: sockets connected and free, requests pending, queued and running.",
    attributes: [ATTR.lane, ATTR.poolState],
    source: 'gemini-lanes',
  },
  tokens: {
    name: 'gemini_lanes.tokens',
    kind: 'counter',
    unit: '{token}',
    description:
      'Billed tokens by kind (cached input is part of the prompt; thinking is billed as output).',
    attributes: [ATTR.lane, ATTR.requestModel, ATTR.tokenKind, ATTR.pricingTier],
    source: 'gemini-lanes',
  },
  cost: {
    name: 'gemini_lanes.cost',
    kind: 'counter',
    unit: 'USD',
    description: 'Cost in US dollars from the price table, by token kind and pricing tier.',
    attributes: [ATTR.lane, ATTR.requestModel, ATTR.tokenKind, ATTR.pricingTier],
    source: 'gemini-lanes',
  },
  routed: {
    name: 'gemini_lanes.router.decisions',
    kind: 'counter',
    unit: '{request}',
    description: 'Router decisions by lane and reason.',
    attributes: [ATTR.lane, ATTR.routeReason],
    source: 'gemini-lanes',
  },
  batchJobs: {
    name: 'gemini_lanes.batch.jobs',
    kind: 'updowncounter',
    unit: '{job}',
    description: 'Batch API jobs by state.',
    attributes: [ATTR.batchState],
    source: 'gemini-lanes',
  },
  batchRequests: {
    name: 'gemini_lanes.batch.requests',
    kind: 'counter',
    unit: '{request}',
    description: 'Requests inside Batch API jobs by final state.',
    attributes: [ATTR.batchState],
    source: 'gemini-lanes',
  },
  jobItems: {
    name: 'gemini_lanes.job.items',
    kind: 'counter',
    unit: '{item}',
    description: 'Job items written to the output, by state: the progress of throughput jobs.',
    attributes: [ATTR.lane, ATTR.itemState],
    preinitialize: [ATTR.itemState],
    source: 'gemini-lanes',
  },
} as const satisfies Record<string, InstrumentSpec>;

export type MetricKey = keyof typeof METRICS;

/**
 * Histogram boundaries for `spec` under `config`: the advice plus every configured threshold
 * (seconds), sorted and without duplicates, so "the share under the SLA" is an exact bucket.
 */
export function bucketBoundaries(spec: InstrumentSpec, config: GeminiLanesConfig): number[] {
  const all = new Set<number>(spec.boundaries ?? []);
  for (const threshold of spec.thresholds?.(config) ?? []) all.add(threshold);
  return [...all].sort((a, b) => a - b);
}
