import { getEventListeners } from 'node:events';
import { LaneClosedError, ManualClock, RequestTimeoutError } from '@gemini-lanes/core';
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { createQuotaLimiter } from '../src/index.js';
import {
  type AttemptContext,
  ThroughputExecutor,
  type ThroughputExecutorOptions,
} from '../src/throughput/throughput-executor.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash-lite';

/** An `ApiError` as `@google/genai` throws it: the status, and the JSON body in the message. */
function apiError(status: number, rpcStatus: string, retryDelay?: string): ApiError {
  const details = retryDelay
    ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }]
    : [];
  return new ApiError({
    status,
    message: `got status: ${status}. ${JSON.stringify({ error: { code: status, message: 'x', status: rpcStatus, details } })}`,
  });
}

const tooMany = (delay = '20s') => apiError(429, 'RESOURCE_EXHAUSTED', delay);
const unavailable = () => apiError(503, 'UNAVAILABLE');

/** A promise to settle by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `predicate` holds, polling between macrotasks, or fails after `ms`. */
async function until(predicate: () => boolean, ms = 2000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setup(overrides: Partial<ThroughputExecutorOptions> & { withQuota?: boolean } = {}) {
  const h = metricsHarness({
    lanes: { latency: { models: [model] }, throughput: { models: [model] } },
    quota: { models: { [model]: { rpm: 1000, inputTpm: 1_000_000, rpd: 100_000 } } },
  });
  const clock = new ManualClock(1_000_000);
  const sleeps: number[] = [];
  const quota = overrides.withQuota
    ? createQuotaLimiter(h.config.quota, { clock, sleep: async () => {} })
    : undefined;
  const executor = new ThroughputExecutor({
    concurrency: { min: 1, max: 16, initial: 8, algorithm: 'aimd' },
    retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, budget: 1 },
    timeoutMs: 60_000,
    telemetry: h.telemetry,
    clock,
    random: () => 0,
    quota,
    // Returns at once (a ManualClock test never waits), but still honours an abort.
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      signal.throwIfAborted();
    },
    ...overrides,
  });
  const attempts: number[] = [];
  /** Runs a call whose attempts answer, in turn, with the given outcomes (the last repeats). */
  const call = (outcomes: Array<Error | string>, signal?: AbortSignal) => {
    const seen: number[] = [];
    attempts.push(0);
    const index = attempts.length - 1;
    const promise = executor.execute(
      {
        model,
        operation: 'generate_content',
        inputTokens: 10,
        send: async ({ attempt }: AttemptContext) => {
          const outcome = outcomes[Math.min(attempt, outcomes.length) - 1];
          if (outcome instanceof Error) throw outcome;
          return outcome ?? 'ok';
        },
      },
      {
        signal,
        onAttempt: (n) => {
          seen.push(n);
          attempts[index] = n;
        },
      },
    );
    return { promise, seen };
  };
  return { h, clock, sleeps, executor, quota, call, attempts };
}

describe('ThroughputExecutor retries', () => {
  it("waits for the server's RetryInfo delay after a 429, counts the retries, and refunds the refused quota", async () => {
    const { h, sleeps, call, quota } = setup({ withQuota: true });
    const { promise, seen } = call([tooMany('20s'), tooMany('1.500s'), 'answer']);
    await expect(promise).resolves.toBe('answer');
    expect(seen).toEqual([1, 2, 3]);
    // random() = 0: exactly the server's delay, no backoff of its own on top.
    expect(sleeps).toEqual([20_000, 1_500]);
    expect(
      await h.value('gemini_lanes.retries', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.retry.reason': 'rate_limited',
        'gen_ai.request.model': model,
      }),
    ).toBe(2);
    // Three attempts took quota; the two the upstream refused gave it back.
    const rpm = quota
      ?.utilization()
      .find((u) => u.lane === 'throughput' && u.dimension === 'rpm' && u.model === model);
    expect((rpm?.value ?? 0) * 1000).toBeCloseTo(1, 9);
  });

  it('backs off with full jitter between 5xx failures', async () => {
    const { sleeps, call } = setup({ random: () => 0.5 });
    await expect(call([unavailable(), unavailable(), unavailable(), 'ok']).promise).resolves.toBe(
      'ok',
    );
    // Uniform below base × 2^(n−1): half of 100, 200, 400.
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it("stops at maxAttempts and surfaces the upstream's own error", async () => {
    const { sleeps, call } = setup({
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, budget: 1 },
    });
    const failure = unavailable();
    const { promise, seen } = call([failure]);
    await expect(promise).rejects.toBe(failure);
    expect(seen).toEqual([1, 2, 3]);
    expect(sleeps).toHaveLength(2);
  });

  it('stops retrying when the retry budget is spent', async () => {
    // Ratio 0 leaves only the reserve: 1 retry per second over a 10 s window, and the fake
    // clock never moves, so 10 retries in all.
    const { call } = setup({
      retry: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, budget: 0 },
    });
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const { promise, seen } = call([unavailable()]);
      await expect(promise).rejects.toMatchObject({ status: 503 });
      runs.push(seen.length);
    }
    expect(runs).toEqual([6, 6, 1]);
  });

  it('retries a 429 that says when to come back without drawing on the retry budget', async () => {
    // Budget ratio 0 and a frozen clock: 10 retries of other failures in all (see above), but a
    // burst of 429s carrying RetryInfo must not spend it and fail requests the server asked for.
    const { call } = setup({
      retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, budget: 0 },
    });
    for (let i = 0; i < 12; i++) {
      const { promise, seen } = call([tooMany('1s'), tooMany('1s'), 'ok']);
      await expect(promise).resolves.toBe('ok');
      expect(seen).toEqual([1, 2, 3]);
    }
    // The budget is untouched: a 503 still gets its retries.
    const { promise, seen } = call([unavailable(), 'ok']);
    await expect(promise).resolves.toBe('ok');
    expect(seen).toEqual([1, 2]);
  });

  it.each([
    [400, 'INVALID_ARGUMENT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
  ])('never retries a %i', async (status, rpcStatus) => {
    const { sleeps, call } = setup();
    const failure = apiError(status, rpcStatus);
    const { promise, seen } = call([failure, 'ok']);
    await expect(promise).rejects.toBe(failure);
    expect(seen).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('never retries a call its caller aborted, and rejects with the reason', async () => {
    const { executor } = setup();
    const controller = new AbortController();
    const reason = new Error('user left');
    let attempts = 0;
    const promise = executor.execute(
      {
        model,
        operation: 'generate_content',
        inputTokens: 1,
        send: ({ signal }) => {
          attempts++;
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason)),
          );
        },
      },
      { signal: controller.signal },
    );
    await until(() => attempts === 1);
    controller.abort(reason);
    await expect(promise).rejects.toBe(reason);
    expect(attempts).toBe(1);
    expect(executor.inflight).toBe(0);
  });

  it("follows a caller's signal shared by many calls with one listener, removed when they end, and aborts every attempt", async () => {
    const { executor } = setup({
      concurrency: { min: 1, max: 32, initial: 32, algorithm: 'aimd' },
    });
    const controller = new AbortController();
    const attemptSignals: AbortSignal[] = [];
    const work = (answer: boolean) =>
      executor.execute(
        {
          model,
          operation: 'generate_content',
          inputTokens: 1,
          send: ({ signal }) => {
            attemptSignals.push(signal);
            return answer
              ? Promise.resolve('ok')
              : new Promise((_, reject) =>
                  signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
                );
          },
        },
        { signal: controller.signal },
      );
    // Calls that end leave no listener behind on the caller's signal.
    await expect(Promise.all(Array.from({ length: 20 }, () => work(true)))).resolves.toHaveLength(
      20,
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // Twenty running at once: still one listener, and aborting it ends them all with its reason.
    const running = Array.from({ length: 20 }, () => work(false).catch((e: unknown) => e));
    await until(() => attemptSignals.length === 40);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('user left');
    controller.abort(reason);
    expect(await Promise.all(running)).toEqual(Array.from({ length: 20 }, () => reason));
    expect(attemptSignals.slice(20).every((s) => s.aborted && s.reason === reason)).toBe(true);
    expect(executor.inflight).toBe(0);
  });

  it('times an attempt out, retries it, and surfaces RequestTimeoutError when every attempt timed out', async () => {
    const { executor, sleeps } = setup({
      retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, budget: 1 },
    });
    let attempts = 0;
    const error = await executor
      .execute(
        {
          model,
          operation: 'generate_content',
          inputTokens: 1,
          send: ({ signal }) => {
            attempts++;
            return new Promise((_, reject) =>
              signal.addEventListener('abort', () => reject(signal.reason)),
            );
          },
        },
        { timeoutMs: 5 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).timeoutMs).toBe(5);
    expect(attempts).toBe(2);
    expect(sleeps).toHaveLength(1);
    // A timeout is overload: the limit was cut from 8.
    expect(executor.limit).toBe(4);
  });

  it('refuses a per-call timeout that is not a positive number, naming it', async () => {
    const { call, executor } = setup();
    const bad = executor.execute(
      { model, operation: 'generate_content', inputTokens: 1, send: async () => 'x' },
      { timeoutMs: Number.NaN },
    );
    await expect(bad).rejects.toThrow(
      'throughput lane: options.timeoutMs must be a finite number > 0 (got NaN)',
    );
    await expect(call(['fine']).promise).resolves.toBe('fine');
  });
});

describe('ThroughputExecutor adaptive concurrency', () => {
  it('halves the limit on a 429 and grows it again on successes while busy', async () => {
    const { executor, call } = setup({
      retry: { maxAttempts: 1, baseDelayMs: 100, maxDelayMs: 1000, budget: 1 },
    });
    expect(executor.limit).toBe(8);
    await expect(call([tooMany()]).promise).rejects.toMatchObject({ status: 429 });
    expect(executor.limit).toBe(4);
    // 100 calls at once keep all 4 slots busy; every success grows the limit by 1/limit.
    await Promise.all(Array.from({ length: 100 }, () => call(['ok']).promise));
    expect(executor.limit).toBeGreaterThanOrEqual(12);
    expect(executor.limit).toBeLessThanOrEqual(16);
  });

  it('does not grow while it uses less than half its limit', async () => {
    const { executor, call } = setup();
    for (let i = 0; i < 50; i++) await call(['ok']).promise;
    expect(executor.limit).toBe(8);
  });

  it("cuts the limit on the latency lane's pressure signal, once per cooldown, and ignores its own lane's", async () => {
    const { executor, quota, clock } = setup({ withQuota: true });
    quota?.reportPressure({ lane: 'throughput', reason: 'rate_limited', model });
    expect(executor.limit).toBe(8);
    quota?.reportPressure({ lane: 'latency', reason: 'queue_wait', model });
    expect(executor.limit).toBe(4);
    quota?.reportPressure({ lane: 'latency', reason: 'rate_limited', model });
    expect(executor.limit).toBe(4); // the same burst
    clock.advance(1000);
    quota?.reportPressure({ lane: 'latency', reason: 'rate_limited', model });
    expect(executor.limit).toBe(2);
    executor.close();
    clock.advance(1000);
    quota?.reportPressure({ lane: 'latency', reason: 'queue_wait', model });
    expect(executor.limit).toBe(2); // unsubscribed on close
  });

  it('follows the gradient algorithm when configured', async () => {
    const { executor, quota } = setup({
      concurrency: { min: 1, max: 16, initial: 8, algorithm: 'gradient' },
      withQuota: true,
    });
    quota?.reportPressure({ lane: 'latency', reason: 'queue_wait', model });
    expect(executor.limit).toBe(4);
  });
});

describe('ThroughputExecutor queueing', () => {
  function blockingWork(executor: ThroughputExecutor, gates: Array<ReturnType<typeof deferred>>) {
    return (name: string, signal?: AbortSignal, log?: string[]) => {
      const gate = deferred<unknown>();
      gates.push(gate);
      return executor.execute(
        {
          model,
          operation: 'generate_content',
          inputTokens: 1,
          send: async () => {
            log?.push(name);
            await gate.promise;
            return name;
          },
        },
        { signal },
      );
    };
  }

  it('serves waiting calls first come, first served; an aborted waiter leaves and frees its place', async () => {
    const h = setup({ concurrency: { min: 1, max: 1, initial: 1, algorithm: 'aimd' } });
    const gates: Array<ReturnType<typeof deferred>> = [];
    const log: string[] = [];
    const work = blockingWork(h.executor, gates);
    const first = work('first', undefined, log);
    const controller = new AbortController();
    const second = work('second', controller.signal, log).catch((e: unknown) => e);
    const third = work('third', undefined, log);
    await until(() => log.length === 1);
    expect(h.executor.backlog).toBe(2);
    expect(await h.h.value('gemini_lanes.backlog', { 'gemini_lanes.lane': 'throughput' })).toBe(2);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    expect(await second).toBe(reason);
    expect(h.executor.backlog).toBe(1);
    gates[0]?.resolve(undefined);
    await expect(first).resolves.toBe('first');
    await until(() => log.length === 2);
    expect(log).toEqual(['first', 'third']);
    gates.at(-1)?.resolve(undefined);
    await expect(third).resolves.toBe('third');
    expect(h.executor.inflight).toBe(0);
    expect(
      await h.h.value('gemini_lanes.requests', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.outcome': 'cancelled',
      }),
    ).toBe(1);
    expect(await h.h.value('gemini_lanes.backlog', { 'gemini_lanes.lane': 'throughput' })).toBe(0);
    expect(await h.h.value('gemini_lanes.inflight', { 'gemini_lanes.lane': 'throughput' })).toBe(0);
  });

  it('close() rejects waiting calls with LaneClosedError and lets the running one finish', async () => {
    const h = setup({ concurrency: { min: 1, max: 1, initial: 1, algorithm: 'aimd' } });
    const gates: Array<ReturnType<typeof deferred>> = [];
    const log: string[] = [];
    const work = blockingWork(h.executor, gates);
    const running = work('running', undefined, log);
    const waiting = work('waiting').catch((e: unknown) => e);
    await until(() => log.length === 1);
    h.executor.close();
    expect(await waiting).toBeInstanceOf(LaneClosedError);
    gates[0]?.resolve(undefined);
    await expect(running).resolves.toBe('running');
    await expect(work('late')).rejects.toBeInstanceOf(LaneClosedError);
    expect(
      await h.h.value('gemini_lanes.rejections', {
        'gemini_lanes.lane': 'throughput',
        'gemini_lanes.rejection.reason': 'shutdown',
      }),
    ).toBe(2);
  });

  it('close() ends a wait between attempts with LaneClosedError carrying the last failure', async () => {
    const h = setup({
      sleep: (_ms, signal) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const failure = unavailable();
    const { promise, seen } = h.call([failure]);
    await until(() => seen.length === 1);
    h.executor.close();
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaneClosedError);
    expect((error as Error).cause).toBe(failure);
  });
});
