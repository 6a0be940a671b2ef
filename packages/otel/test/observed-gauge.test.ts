import { ATTR } from '@gemini-lanes/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness, pointsOf } from './support/harness.js';

describe('gauges read at collection', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.shutdown();
  });

  it('report what a callback reads at each collection, and stop when it is removed', async () => {
    h = harness();
    let connected = 3;
    const remove = h.telemetry.instruments.poolConnections.addCallback((observe) => {
      observe(connected, { [ATTR.lane]: 'latency', [ATTR.poolState]: 'connected' });
    });
    const read = async () =>
      pointsOf(await h.metrics(), 'gemini_lanes.pool.connections', {
        [ATTR.poolState]: 'connected',
      }).map((p) => p.value);
    expect(await read()).toEqual([3]);
    connected = 0; // the pool closed its sockets while nothing was recorded
    expect(await read()).toEqual([0]);
    remove();
    connected = 7;
    // The callback is no longer asked (the SDK may still repeat the last point it saw).
    expect(await read()).not.toContain(7);
  });

  it('keep the last recorded value of a gauge set on events, per attribute set', async () => {
    h = harness();
    const limit = h.telemetry.instruments.concurrencyLimit;
    limit.record(8, { [ATTR.lane]: 'throughput' });
    limit.record(4, { [ATTR.lane]: 'throughput' });
    limit.record(32, { [ATTR.lane]: 'latency' });
    const points = pointsOf(await h.metrics(), 'gemini_lanes.concurrency.limit');
    expect(points.map((p) => [p.attributes[ATTR.lane], p.value]).sort()).toEqual([
      ['latency', 32],
      ['throughput', 4],
    ]);
  });

  it('never let a failing callback break the collection', async () => {
    h = harness();
    h.telemetry.instruments.poolConnections.addCallback(() => {
      throw new Error('pool gone');
    });
    h.telemetry.instruments.concurrencyLimit.record(2, { [ATTR.lane]: 'latency' });
    expect(pointsOf(await h.metrics(), 'gemini_lanes.concurrency.limit')).toHaveLength(1);
  });
});
