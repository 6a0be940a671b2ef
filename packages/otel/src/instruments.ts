import {
  bucketBoundaries,
  type GeminiLanesConfig,
  type InstrumentSpec,
  METRICS,
  type MetricKey,
} from '@gemini-lanes/core';
import {
  type Counter,
  type Histogram,
  type Meter,
  type MetricOptions,
  type UpDownCounter,
  ValueType,
} from '@opentelemetry/api';
import { AccumulatedCounter } from './accumulated-counter.js';
import { ObservedGauge } from './observed-gauge.js';

type Spec<K extends MetricKey> = (typeof METRICS)[K];

/** The attributes an instrument may carry: exactly the keys the catalog lists for it. */
export type MetricAttributesOf<K extends MetricKey> = {
  [A in Spec<K>['attributes'][number]]?: string | number | boolean;
};

type InstrumentByKind<Kind, A extends MetricAttributesOf<MetricKey>> = Kind extends 'counter'
  ? Counter<A>
  : Kind extends 'updowncounter'
    ? UpDownCounter<A>
    : Kind extends 'histogram'
      ? Histogram<A>
      : ObservedGauge<A>;

/** The OpenTelemetry instrument for one catalog entry, typed by its kind and attributes. */
export type InstrumentOf<K extends MetricKey> = InstrumentByKind<
  Spec<K>['kind'],
  MetricAttributesOf<K>
>;

/** Every instrument of the catalog, keyed as `METRICS` is. */
export type Instruments = { readonly [K in MetricKey]: InstrumentOf<K> };

/** Counts (`{token}`, `{request}`, bytes) are integers; seconds, dollars and ratios are not. */
function valueTypeOf(spec: InstrumentSpec): ValueType {
  return spec.unit.startsWith('{') || spec.unit === 'By' ? ValueType.INT : ValueType.DOUBLE;
}

/**
 * Creates one instrument per catalog entry on `meter`: name, unit and description from the
 * catalog, histogram boundaries from `bucketBoundaries(spec, config)` given as advice, so the
 * configured SLI thresholds are exact bucket edges. Counters are `AccumulatedCounter`s: the
 * hottest records of a call (tokens and cost by kind, requests by outcome) cost a map lookup.
 */
export function createInstruments(meter: Meter, config: GeminiLanesConfig): Instruments {
  const instruments: Partial<Record<MetricKey, unknown>> = {};
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const spec: InstrumentSpec = METRICS[key];
    const options: MetricOptions = {
      description: spec.description,
      unit: spec.unit,
      valueType: valueTypeOf(spec),
    };
    switch (spec.kind) {
      case 'counter':
        instruments[key] = new AccumulatedCounter(meter, spec, options);
        break;
      case 'updowncounter':
        instruments[key] = meter.createUpDownCounter(spec.name, options);
        break;
      case 'histogram':
        instruments[key] = meter.createHistogram(spec.name, {
          ...options,
          advice: { explicitBucketBoundaries: bucketBoundaries(spec, config) },
        });
        break;
      case 'gauge':
        instruments[key] = new ObservedGauge(meter, spec, options);
        break;
    }
  }
  return Object.freeze(instruments) as Instruments;
}
