import type { InstrumentSpec } from '@gemini-lanes/core';
import type { Attributes, Gauge, Meter, MetricOptions } from '@opentelemetry/api';
import { guard } from './guard.js';

/** Reports the current values of a gauge: call `observe` once per attribute set. */
export type GaugeCallback<A extends Attributes = Attributes> = (
  observe: (value: number, attributes: A) => void,
) => void;

/**
 * A gauge read when metrics are collected. Values that only change on events (a concurrency
 * limit) can still be `record`ed and are reported as last set; values that change on their own
 * (a connection pool, the share of a quota window used) come from callbacks asked at each
 * collection, so an idle process never exports a stale reading.
 */
export class ObservedGauge<A extends Attributes = Attributes> implements Gauge<A> {
  readonly #keys: readonly string[];
  readonly #last = new Map<string, { value: number; attributes: A }>();
  readonly #callbacks = new Set<GaugeCallback<A>>();

  constructor(meter: Meter, spec: InstrumentSpec, options: MetricOptions) {
    this.#keys = spec.attributes;
    meter.createObservableGauge(spec.name, options).addCallback((result) => {
      for (const { value, attributes } of this.#last.values()) result.observe(value, attributes);
      for (const callback of this.#callbacks) {
        guard(`${spec.name} callback`, () =>
          callback((value, attributes) => result.observe(value, attributes)),
        );
      }
    });
  }

  record(value: number, attributes?: A): void {
    const a = (attributes ?? {}) as A;
    const key = this.#keys.map((k) => String(a[k] ?? '')).join('\u0001');
    this.#last.set(key, { value, attributes: a });
  }

  /** Asks `callback` for current values at every collection until the returned function is called. */
  addCallback(callback: GaugeCallback<A>): () => void {
    this.#callbacks.add(callback);
    return () => {
      this.#callbacks.delete(callback);
    };
  }
}
