import { ATTR, type AttributeKey, type InstrumentSpec, METRICS, VALUES } from '@gemini-lanes/core';
import type { Attributes, Counter } from '@opentelemetry/api';
import type { Instruments } from './instruments.js';

/** Closed value sets by attribute key, derived from the catalog (`ATTR.x` takes `VALUES.x`). */
const CLOSED_SETS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(VALUES).flatMap(([name, values]) => {
    const key = (ATTR as Readonly<Record<string, string>>)[name];
    return key === undefined ? [] : [[key, values] as const];
  }),
);

/**
 * The attribute sets a counter starts at 0 with: every combination of its `preinitialize`
 * attributes, and of the lane values when the counter carries the lane, so a per-lane
 * `rate()` reads 0 before the first event instead of nothing.
 */
export function zeroSeries(spec: InstrumentSpec): Attributes[] {
  if (spec.kind !== 'counter' || spec.preinitialize === undefined) return [];
  const keys: AttributeKey[] = [...spec.preinitialize];
  if (spec.attributes.includes(ATTR.lane) && !keys.includes(ATTR.lane)) keys.unshift(ATTR.lane);
  let combinations: Attributes[] = [{}];
  for (const key of keys) {
    const values = CLOSED_SETS.get(key);
    if (values === undefined) {
      throw new RangeError(
        `catalog: ${spec.name} pre-initialises ${key}, which has no closed value set`,
      );
    }
    combinations = combinations.flatMap((partial) =>
      values.map((value) => ({ ...partial, [key]: value })),
    );
  }
  return combinations;
}

/** Adds 0 to every bounded series of every counter the catalog asks to pre-initialise. */
export function preinitializeCounters(instruments: Instruments): void {
  for (const key of Object.keys(METRICS) as Array<keyof typeof METRICS>) {
    const spec: InstrumentSpec = METRICS[key];
    const series = zeroSeries(spec);
    if (series.length === 0) continue;
    const counter = instruments[key] as Counter;
    for (const attributes of series) counter.add(0, attributes);
  }
}
