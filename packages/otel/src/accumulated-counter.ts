import type { InstrumentSpec } from '@gemini-lanes/core';
import {
  type Attributes,
  type Counter,
  diag,
  type Meter,
  type MetricOptions,
  type ObservableResult,
} from '@opentelemetry/api';

/** Series one counter keeps before new attribute sets fold into the overflow series. */
export const SERIES_LIMIT = 2000;
const OVERFLOW: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const OVERFLOW_KEY = '\u0002overflow';

/** One attribute set of an accumulated counter and its running total. */
export interface Series {
  readonly attributes: Attributes;
  value: number;
}

/**
 * A monotonic counter whose additions are summed here, in a map keyed by the values of the
 * attributes the catalog lists for it (in catalog order, so no sorting and no JSON), and
 * reported to the SDK as an observable counter when a reader collects. An `add` on the call
 * path is then a string join and a map lookup, not the SDK's attribute hashing; the exported
 * data (a cumulative monotonic sum per attribute set) is the same as a synchronous counter's.
 * Attributes the catalog does not list for the instrument are never recorded.
 */
export class AccumulatedCounter implements Counter<Attributes> {
  readonly #name: string;
  readonly #keys: readonly string[];
  readonly #series = new Map<string, Series>();

  constructor(meter: Meter, spec: InstrumentSpec, options: MetricOptions) {
    this.#name = spec.name;
    this.#keys = spec.attributes;
    meter.createObservableCounter(spec.name, options).addCallback((result) => this.#report(result));
  }

  add(value: number, attributes?: Attributes): void {
    if (!(value >= 0) || !Number.isFinite(value)) {
      diag.warn(`${this.#name}: a counter only adds finite values >= 0 (got ${value})`);
      return;
    }
    this.series(attributes).value += value;
  }

  /**
   * The live series of an attribute set (created at 0): callers that add to the same series
   * on every call keep it and add to `value` directly, skipping even the key.
   */
  series(attributes: Attributes | undefined): Series {
    let key = '';
    if (attributes !== undefined) {
      const keys = this.#keys;
      for (let i = 0; i < keys.length; i++) {
        const v = attributes[keys[i] as string];
        key += v === undefined ? '\u0000\u0001' : `${v}\u0001`;
      }
    }
    let series = this.#series.get(key);
    if (series !== undefined) return series;
    if (this.#series.size >= SERIES_LIMIT) {
      series = this.#series.get(OVERFLOW_KEY);
      if (series === undefined) {
        series = { attributes: OVERFLOW, value: 0 };
        this.#series.set(OVERFLOW_KEY, series);
      }
      return series;
    }
    series = { attributes: this.#pick(attributes), value: 0 };
    this.#series.set(key, series);
    return series;
  }

  #pick(attributes: Attributes | undefined): Attributes {
    const picked: Attributes = {};
    if (attributes === undefined) return picked;
    for (const name of this.#keys) {
      const v = attributes[name];
      if (v !== undefined) picked[name] = v;
    }
    return Object.freeze(picked);
  }

  #report(result: ObservableResult): void {
    for (const series of this.#series.values()) result.observe(series.value, series.attributes);
  }
}
