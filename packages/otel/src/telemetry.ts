import {
  ATTR,
  type CostBreakdown,
  costOf,
  type GeminiLanesConfig,
  type Lane,
  type PriceTable,
  type PricingTier,
  resolvePriceTable,
  SCHEMA_URL,
  type TokenKind,
  type UsageMetadataLike,
  VALUES,
} from '@gemini-lanes/core';
import {
  diag,
  type Meter,
  type MeterProvider,
  metrics,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { AccumulatedCounter, Series } from './accumulated-counter.js';
import { guard } from './guard.js';
import { createInstruments, type Instruments, type MetricAttributesOf } from './instruments.js';
import { ModelLabels, normalizeModel } from './model-label.js';
import { preinitializeCounters } from './preinitialize.js';
import { INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION } from './version.js';

/** Where telemetry goes; each defaults to the globally registered provider. */
export interface TelemetryProviders {
  meterProvider?: MeterProvider | undefined;
  tracerProvider?: TracerProvider | undefined;
}

/** Labels of one call's billed usage. */
export interface UsageLabels {
  /** The model as requested (normalised and capped for the label). */
  model: string;
  lane?: Lane | undefined;
  /** Default `standard`; `batch` and `flex` cost half. */
  tier?: PricingTier | undefined;
}

/**
 * Every instrument of the catalog, created once, and the helpers that record billed usage.
 * One per process: the instrumentation and both lanes take the same object, so no two
 * components ever create the same instrument with different boundaries.
 */
export interface Telemetry {
  /** The configuration the instruments were built from (bucket boundaries, prices). */
  readonly config: GeminiLanesConfig;
  /** Meter `@gemini-lanes/otel`, with the catalog's schema URL. */
  readonly meter: Meter;
  /** Tracer `@gemini-lanes/otel`, with the catalog's schema URL. */
  readonly tracer: Tracer;
  /**
   * The instruments, keyed as core's `METRICS` (`instruments.requests.add(1, {...})`), each
   * typed with exactly the attribute keys the catalog allows for it.
   */
  readonly instruments: Instruments;
  /** The price table: built-in prices with the configuration's `pricing` applied. */
  readonly prices: PriceTable;
  /**
   * The bounded label value for a model: `models/` and other resource prefixes stripped;
   * after 32 distinct values, `_OTHER`.
   */
  modelLabel(model: string | undefined): string;
  /**
   * Records one call's billed usage as `gemini_lanes.tokens` and `gemini_lanes.cost` by token
   * kind (zero kinds are skipped). A model missing from the price table records tokens and no
   * cost, and says so once per model through `diag.warn`. Returns the breakdown it recorded.
   */
  recordUsage(usage: UsageMetadataLike, labels: UsageLabels): CostBreakdown;
}

const TOKEN_KINDS: readonly TokenKind[] = VALUES.tokenKind;

interface UsageSeries {
  attributes: Array<MetricAttributesOf<'tokens'>>;
  tokens: Array<Series | undefined>;
  cost: Array<Series | undefined>;
}
const UNPRICED_WARNINGS = 256;

class TelemetryImpl implements Telemetry {
  readonly config: GeminiLanesConfig;
  readonly meter: Meter;
  readonly tracer: Tracer;
  readonly instruments: Instruments;
  readonly prices: PriceTable;
  readonly #models = new ModelLabels();
  readonly #unpriced = new Set<string>();
  readonly #usage = new Map<string, UsageSeries>();

  constructor(config: GeminiLanesConfig, providers: TelemetryProviders) {
    this.config = config;
    this.prices = resolvePriceTable(config.pricing);
    const meterProvider = providers.meterProvider ?? metrics.getMeterProvider();
    const tracerProvider = providers.tracerProvider ?? trace.getTracerProvider();
    this.meter = meterProvider.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, {
      schemaUrl: SCHEMA_URL,
    });
    this.tracer = tracerProvider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, {
      schemaUrl: SCHEMA_URL,
    });
    this.instruments = createInstruments(this.meter, config);
    guard('pre-initialising counters', () => preinitializeCounters(this.instruments));
  }

  modelLabel(model: string | undefined): string {
    return this.#models.label(model);
  }

  recordUsage(usage: UsageMetadataLike, labels: UsageLabels): CostBreakdown {
    const tier = labels.tier ?? 'standard';
    const breakdown = costOf(usage, labels.model, tier, this.prices);
    const model = this.#models.label(labels.model);
    const series = this.#usageSeries(labels.lane, model, tier);
    for (let i = 0; i < TOKEN_KINDS.length; i++) {
      const kind = TOKEN_KINDS[i] as TokenKind;
      const tokens = breakdown.tokens[kind];
      if (tokens === 0) continue;
      let counted = series.tokens[i];
      if (counted === undefined) {
        counted = this.#seriesOf('tokens', series.attributes[i]);
        series.tokens[i] = counted;
      }
      counted.value += tokens;
      if (!breakdown.known) continue;
      let cost = series.cost[i];
      if (cost === undefined) {
        cost = this.#seriesOf('cost', series.attributes[i]);
        series.cost[i] = cost;
      }
      cost.value += breakdown.usd[kind];
    }
    if (!breakdown.known) this.#warnUnpriced(normalizeModel(labels.model), breakdown.reason);
    return breakdown;
  }

  /**
   * The token and cost series of one lane, model and tier, by kind, looked up once per call;
   * each series is created on its first non-zero value, so a kind a model never bills (or the
   * cost of a model without a price) is never exported as a misleading 0.
   */
  #usageSeries(lane: Lane | undefined, model: string, tier: PricingTier): UsageSeries {
    const key = `${lane ?? ''}\u0001${model}\u0001${tier}`;
    let series = this.#usage.get(key);
    if (series === undefined) {
      const attributes = TOKEN_KINDS.map((kind) => {
        const a: MetricAttributesOf<'tokens'> = {
          [ATTR.requestModel]: model,
          [ATTR.tokenKind]: kind,
          [ATTR.pricingTier]: tier,
        };
        if (lane !== undefined) a[ATTR.lane] = lane;
        return a;
      });
      series = { attributes, tokens: [], cost: [] };
      this.#usage.set(key, series);
    }
    return series;
  }

  #seriesOf(
    instrument: 'tokens' | 'cost',
    attributes: MetricAttributesOf<'tokens'> | undefined,
  ): Series {
    return (this.instruments[instrument] as unknown as AccumulatedCounter).series(attributes);
  }

  #warnUnpriced(model: string, reason: string): void {
    // Bounded like the labels: past the cap a new unpriced model is not worth unbounded memory.
    if (this.#unpriced.has(model) || this.#unpriced.size >= UNPRICED_WARNINGS) return;
    this.#unpriced.add(model);
    diag.warn(`@gemini-lanes/otel: gemini_lanes.cost is not recorded for ${model}: ${reason}`);
  }
}

/**
 * Creates every instrument of core's catalog once, on a meter with the catalog's schema URL:
 * histogram boundaries are the semantic-convention advice plus the configuration's SLI
 * thresholds (as instrument advice), and counters with bounded label sets start at 0 for
 * every combination of them. Call it once per process and hand the result to
 * `instrumentGenAI` and to both lanes.
 */
export function createTelemetry(
  config: GeminiLanesConfig,
  providers: TelemetryProviders = {},
): Telemetry {
  return new TelemetryImpl(config, providers);
}
