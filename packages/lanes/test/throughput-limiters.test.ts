import { LaneClosedError } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { AimdLimiter, createConcurrencyLimiter, GradientLimiter } from '../src/index.js';
import { ConcurrencyGate } from '../src/throughput/concurrency-gate.js';

describe('GradientLimiter', () => {
  it('grows by about √limit × smoothing per sample while latency holds and the lane is busy', () => {
    const g = new GradientLimiter({ min: 1, max: 100, initial: 16 });
    g.onSuccess(100, 16);
    // 16 + 0.2 × √16 = 16.8
    expect(g.limit).toBe(16);
    g.onSuccess(100, 16);
    expect(g.limit).toBe(17);
    for (let i = 0; i < 500; i++) g.onSuccess(100, g.limit);
    expect(g.limit).toBe(100);
  });

  it('shrinks when latency rises past the tolerance of its long-term average', () => {
    const g = new GradientLimiter({ min: 1, max: 100, initial: 40 });
    for (let i = 0; i < 20; i++) g.onSuccess(100, g.limit);
    const before = g.limit;
    // Three times the average: the gradient is 1.5 × 100 / 300 = 0.5, the floor.
    for (let i = 0; i < 10; i++) g.onSuccess(300, g.limit);
    expect(g.limit).toBeLessThan(before);
    // Tolerated: 1.4 × the average still counts as no queueing.
    const steady = new GradientLimiter({ min: 1, max: 100, initial: 40 });
    for (let i = 0; i < 20; i++) steady.onSuccess(100, steady.limit);
    const level = steady.limit;
    steady.onSuccess(140, steady.limit);
    expect(steady.limit).toBeGreaterThanOrEqual(level);
  });

  it('does not grow while fewer than half its limit are in flight', () => {
    const g = new GradientLimiter({ min: 1, max: 100, initial: 20 });
    for (let i = 0; i < 50; i++) g.onSuccess(100, 9);
    expect(g.limit).toBe(20);
  });

  it('cuts on overload once per cooldown, within [min, max], and validates its options', () => {
    const g = new GradientLimiter({ min: 2, max: 16, initial: 40, decreaseCooldownMs: 1000 });
    expect(g.limit).toBe(16);
    g.onOverload(0);
    expect(g.limit).toBe(8);
    g.onOverload(999);
    expect(g.limit).toBe(8);
    g.onOverload(1000);
    g.onOverload(2000);
    g.onOverload(3000);
    expect(g.limit).toBe(2);
    g.onSuccess(0, 2); // an instant answer is a sample, not a division by zero
    expect(Number.isFinite(g.limit)).toBe(true);
    expect(() => new GradientLimiter({ min: 3, max: 2, initial: 2 })).toThrow(
      'need 1 <= min <= max (got min 3, max 2)',
    );
    expect(() => new GradientLimiter({ min: 1, max: 2, initial: 2, smoothing: 0 })).toThrow(
      'smoothing must be in (0, 1] (got 0)',
    );
  });
});

describe('AimdLimiter with in-flight counts', () => {
  it('grows only while at least half its limit is in flight', () => {
    const idle = new AimdLimiter({ min: 1, max: 64, initial: 8 });
    for (let i = 0; i < 100; i++) idle.onSuccess(100, 3);
    expect(idle.limit).toBe(8);
    const busy = new AimdLimiter({ min: 1, max: 64, initial: 8 });
    for (let i = 0; i < 100; i++) busy.onSuccess(100, busy.limit);
    expect(busy.limit).toBeGreaterThan(8);
  });
});

describe('createConcurrencyLimiter', () => {
  it('builds the configured algorithm with the configured bounds', () => {
    const aimd = createConcurrencyLimiter({ min: 2, max: 10, initial: 4, algorithm: 'aimd' });
    const gradient = createConcurrencyLimiter({
      min: 2,
      max: 10,
      initial: 4,
      algorithm: 'gradient',
    });
    expect(aimd).toBeInstanceOf(AimdLimiter);
    expect(gradient).toBeInstanceOf(GradientLimiter);
    expect([aimd.limit, gradient.limit]).toEqual([4, 4]);
  });
});

describe('ConcurrencyGate', () => {
  it("gives a free slot to callers' own calls before a job's items, in order within each", async () => {
    const gate = new ConcurrencyGate(() => 1);
    const first = await gate.acquire();
    const order: string[] = [];
    const take = (name: string, priority: 'normal' | 'low') =>
      gate.acquire(undefined, priority).then((release) => {
        order.push(name);
        release();
      });
    const waits = [take('job-1', 'low'), take('job-2', 'low'), take('embed', 'normal')];
    // A low-priority call never jumps a waiting normal one, even with a slot free.
    expect(gate.waiting).toBe(3);
    first();
    await Promise.all(waits);
    expect(order).toEqual(['embed', 'job-1', 'job-2']);
    const held = await gate.acquire();
    const normalWaits = take('normal-behind-nothing', 'normal');
    const lowAfter = take('low-behind-normal', 'low');
    held();
    await Promise.all([normalWaits, lowAfter]);
    expect(order.slice(3)).toEqual(['normal-behind-nothing', 'low-behind-normal']);
  });

  it('holds at most the limit, serves waiters in order, and follows a limit that moves', async () => {
    let limit = 2;
    const changes: number[] = [];
    const gate = new ConcurrencyGate(
      () => limit,
      (delta) => changes.push(delta),
    );
    const a = await gate.acquire();
    const b = await gate.acquire();
    const order: string[] = [];
    const c = gate.acquire().then((release) => {
      order.push('c');
      return release;
    });
    const d = gate.acquire().then((release) => {
      order.push('d');
      return release;
    });
    expect([gate.held, gate.waiting]).toEqual([2, 2]);
    limit = 3;
    gate.pump();
    const releaseC = await c;
    expect(order).toEqual(['c']);
    limit = 1; // below what is held: nothing is taken back, d waits for three releases
    a();
    a(); // a second release is ignored
    b();
    expect(gate.waiting).toBe(1);
    releaseC();
    const releaseD = await d;
    expect(order).toEqual(['c', 'd']);
    releaseD();
    expect([gate.held, gate.waiting]).toEqual([0, 0]);
    expect(changes).toEqual([1, 1, -1, -1]);
  });

  it('drops an aborted waiter and rejects the waiting on close', async () => {
    const gate = new ConcurrencyGate(() => 1);
    await gate.acquire();
    const controller = new AbortController();
    const aborted = gate.acquire(controller.signal).catch((e: unknown) => e);
    const closed = gate.acquire().catch((e: unknown) => e);
    controller.abort('gone');
    expect(await aborted).toBe('gone');
    expect(gate.waiting).toBe(1);
    gate.close(() => new LaneClosedError());
    expect(await closed).toBeInstanceOf(LaneClosedError);
    await expect(gate.acquire()).rejects.toBeInstanceOf(LaneClosedError);
  });
});
