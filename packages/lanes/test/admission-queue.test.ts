import {
  LaneClosedError,
  LaneOverloadedError,
  ManualClock,
  type Priority,
  QueueTimeoutError,
  systemClock,
} from '@gemini-lanes/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AdmissionQueue, type AdmissionQueueOptions, type Slot } from '../src/index.js';

function queue(options: Partial<AdmissionQueueOptions> = {}) {
  const events: string[] = [];
  const depth: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const q = new AdmissionQueue({
    concurrency: 2,
    maxLength: 4,
    maxQueueWaitMs: 100,
    clock: systemClock,
    observer: {
      depthChanged: (priority, delta) => {
        depth[priority] += delta;
      },
      left: (priority, waitMs, outcome, reason) =>
        events.push(`${priority}:${outcome}${reason ? `:${reason}` : ''}@${waitMs}`),
    },
    ...options,
  });
  return { q, events, depth };
}

/** Lets promise callbacks run without moving the fake clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('AdmissionQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to the concurrency at once, then in priority order, first come first served within one', async () => {
    const { q, events } = queue({ maxLength: 10, maxQueueWaitMs: 1000 });
    const a = await q.admit();
    const b = await q.admit();
    expect(q.running).toBe(2);
    const order: string[] = [];
    const wait = (name: string, priority: Priority) =>
      q.admit({ priority }).then((slot) => {
        order.push(name);
        return slot;
      });
    const waiting = [
      wait('low1', 'low'),
      wait('normal1', 'normal'),
      wait('high1', 'high'),
      wait('normal2', 'normal'),
    ];
    expect(q.depth()).toBe(4);
    expect(q.depth('normal')).toBe(2);
    vi.advanceTimersByTime(10);
    a.release();
    b.release();
    await settle();
    expect(order).toEqual(['high1', 'normal1']);
    const slots = await Promise.all(waiting.slice(1, 3));
    for (const slot of slots) slot.release();
    await settle();
    expect(order).toEqual(['high1', 'normal1', 'normal2', 'low1']);
    expect(events.slice(0, 2)).toEqual(['high:admitted@10', 'normal:admitted@10']);
  });

  it('rejects a request still waiting at its deadline with QueueTimeoutError, never serving it late', async () => {
    const { q, events, depth } = queue();
    const held = [await q.admit(), await q.admit()];
    const late = q.admit({ priority: 'normal' }).catch((e: unknown) => e);
    const patient = q.admit({ priority: 'low', maxQueueWaitMs: 500 }).catch((e: unknown) => e);
    vi.advanceTimersByTime(100);
    const error = await late;
    expect(error).toBeInstanceOf(QueueTimeoutError);
    expect(error).toMatchObject({
      code: 'ERR_QUEUE_TIMEOUT',
      waitMs: 100,
      maxQueueWaitMs: 100,
      queueDepth: 1,
    });
    expect(depth).toEqual({ high: 0, normal: 0, low: 1 });
    held[0]?.release();
    const slot = (await patient) as Slot;
    expect(slot.waitMs).toBe(100);
    expect(events).toEqual(['normal:rejected:queue_timeout@100', 'low:admitted@100']);
  });

  it('refuses at once when the queue is full', async () => {
    const { q, events } = queue({ maxLength: 2 });
    await q.admit();
    await q.admit();
    const waiting = [q.admit().catch(() => {}), q.admit().catch(() => {})];
    const error = await q.admit({ priority: 'high' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaneOverloadedError);
    expect(error).toMatchObject({
      reason: 'queue_full',
      queueLength: 2,
      errorType: 'lane_overloaded',
    });
    expect(events).toEqual(['high:rejected:queue_full@0']);
    vi.advanceTimersByTime(100);
    await Promise.all(waiting);
  });

  it('refuses on arrival a request that cannot start in time at the observed service rate', async () => {
    const { q, events } = queue({
      concurrency: 2,
      maxLength: 100,
      maxQueueWaitMs: 100,
      warmupCompletions: 4,
    });
    // Four requests of 80 ms each teach the queue its service time.
    for (let i = 0; i < 4; i++) {
      const slot = await q.admit();
      vi.advanceTimersByTime(80);
      slot.release();
    }
    expect(q.serviceTimeMs()).toBeCloseTo(80, 6);
    const held = [await q.admit(), await q.admit()];
    // 1st and 2nd waiters: (1 or 2) / 2 slots × 80 ms = 40, 80 ms ≤ 100: accepted.
    const first = q.admit().catch((e: unknown) => e);
    const second = q.admit().catch((e: unknown) => e);
    // 3rd: 3 / 2 × 80 = 120 ms > 100: refused now rather than timing out later.
    const third = await q.admit().catch((e: unknown) => e);
    expect(third).toMatchObject({ reason: 'overloaded', estimatedWaitMs: 120, queueLength: 2 });
    expect(events.at(-1)).toBe('normal:rejected:overloaded@0');
    // A high-priority request jumps the normal ones, so its estimate is one slot-turn: accepted.
    const urgent = q.admit({ priority: 'high' });
    for (const slot of held) slot.release();
    await settle();
    expect((await urgent).waitMs).toBe(0);
    expect(((await first) as Slot).waitMs).toBe(0);
    vi.advanceTimersByTime(100);
    expect(await second).toBeInstanceOf(QueueTimeoutError);
  });

  it('cancels a queued request on abort and frees its place; a released slot admits the next', async () => {
    const { q, events, depth } = queue();
    const running = await q.admit();
    await q.admit();
    const controller = new AbortController();
    const cancelled = q.admit({ signal: controller.signal }).catch((e: unknown) => e);
    const next = q.admit();
    vi.advanceTimersByTime(30);
    controller.abort(new Error('user navigated away'));
    expect(await cancelled).toEqual(new Error('user navigated away'));
    expect(depth.normal).toBe(1);
    running.release();
    running.release(); // a second release must not free a second slot
    expect((await next).waitMs).toBe(30);
    expect(q.running).toBe(2);
    expect(events).toEqual(['normal:cancelled@30', 'normal:admitted@30']);
    const aborted = new AbortController();
    aborted.abort(new Error('already gone'));
    await expect(q.admit({ signal: aborted.signal })).rejects.toThrow('already gone');
  });

  it('answers a burst of 10,000 requests with the queue at its bound and the rest refused at once', async () => {
    const { q } = queue({ concurrency: 8, maxLength: 256, maxQueueWaitMs: 1000 });
    const before = process.memoryUsage().heapUsed;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10_000 }, () => {
        const pending = q.admit();
        return Promise.race([pending, Promise.resolve('queued')]);
      }),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(q.running).toBe(8);
    expect(q.depth()).toBe(256);
    expect(refused).toHaveLength(10_000 - 8 - 256);
    expect(
      refused.every((o) => o.status === 'rejected' && o.reason instanceof LaneOverloadedError),
    ).toBe(true);
    // Refused requests hold nothing: the heap grows by far less than 10,000 waiters would cost.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(32 * 1024 * 1024);
    q.close();
  });

  it('on close rejects the waiting and refuses new work, while running requests finish', async () => {
    const { q, events } = queue();
    const running = await q.admit();
    await q.admit();
    const waiting = q.admit().catch((e: unknown) => e);
    q.close();
    expect(await waiting).toBeInstanceOf(LaneClosedError);
    await expect(q.admit()).rejects.toBeInstanceOf(LaneClosedError);
    running.release();
    expect(q.running).toBe(1);
    expect(events).toEqual(['normal:rejected:shutdown@0']);
  });

  it('never starts a waiter whose deadline passed before its timer ran (a busy event loop)', async () => {
    const clock = new ManualClock();
    const { q, events } = queue({ concurrency: 1, clock });
    const running = await q.admit();
    const late = q.admit().catch((e: unknown) => e);
    clock.advance(150); // time passes, but the deadline timer has not fired yet
    running.release();
    expect(await late).toBeInstanceOf(QueueTimeoutError);
    expect(q.running).toBe(0);
    expect(events).toEqual(['normal:rejected:queue_timeout@150']);
  });

  it('validates its options', () => {
    expect(() => new AdmissionQueue({ concurrency: 0, maxLength: 1, maxQueueWaitMs: 1 })).toThrow(
      'concurrency must be an integer > 0 (got 0)',
    );
    expect(() => new AdmissionQueue({ concurrency: 1, maxLength: 1, maxQueueWaitMs: -5 })).toThrow(
      'maxQueueWaitMs must be > 0 (got -5)',
    );
  });
});
