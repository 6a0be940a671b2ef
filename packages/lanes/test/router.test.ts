import type { Telemetry } from '@gemini-lanes/otel';
import type {
  CountTokensResponse,
  EmbedContentResponse,
  GenerateContentParameters,
  GenerateContentResponse,
} from '@google/genai';
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  createRouter,
  DEFAULT_ROUTE_RULES,
  type LatencyLane,
  type RouteClassifier,
  type RouterLatencyLane,
  type RouterOptions,
  type RouterThroughputLane,
  type ThroughputLane,
} from '../src/index.js';
import { metricsHarness } from './support/metrics.js';

const model = 'gemini-2.5-flash';
const small: GenerateContentParameters = { model, contents: 'hi', config: { maxOutputTokens: 64 } };
const large: GenerateContentParameters = {
  model,
  contents: 'write a report',
  config: { maxOutputTokens: 8192 },
};
const unsized: GenerateContentParameters = { model, contents: 'hi' };

interface Call {
  lane: 'latency' | 'throughput';
  method: string;
  options: unknown;
}

const answer = (text: string) => ({ text }) as unknown as GenerateContentResponse;

/** Two lanes that answer at once and note every call, the options it got, and stream clean-up. */
function fakeLanes() {
  const calls: Call[] = [];
  const closed: string[] = [];
  function lane(name: 'latency' | 'throughput') {
    return {
      async generateContent(_params: GenerateContentParameters, options?: unknown) {
        calls.push({ lane: name, method: 'generateContent', options });
        return answer(name);
      },
      async *generateContentStream(_params: GenerateContentParameters, options?: unknown) {
        calls.push({ lane: name, method: 'generateContentStream', options });
        try {
          for (let i = 0; i < 3; i++) yield answer(`${name} ${i}`);
        } finally {
          closed.push(name);
        }
      },
    };
  }
  const latency: RouterLatencyLane = {
    ...lane('latency'),
    async countTokens(_params, options) {
      calls.push({ lane: 'latency', method: 'countTokens', options });
      return { totalTokens: 3 } as CountTokensResponse;
    },
  };
  const throughput: RouterThroughputLane = {
    ...lane('throughput'),
    async embedContent(_params, options) {
      calls.push({ lane: 'throughput', method: 'embedContent', options });
      return { embeddings: [{ values: [1, 2] }] } as EmbedContentResponse;
    },
  };
  return { latency, throughput, calls, closed };
}

function router(extra: Partial<RouterOptions> = {}) {
  const lanes = fakeLanes();
  return {
    router: createRouter({ latency: lanes.latency, throughput: lanes.throughput, ...extra }),
    ...lanes,
  };
}

/** `diag` warnings and errors until the test ends. */
let seen: Array<{ level: string; message: string; args: unknown[] }> = [];
function captureDiag() {
  seen = [];
  const logger: DiagLogger = {
    error: (message, ...args) => seen.push({ level: 'error', message, args }),
    warn: (message, ...args) => seen.push({ level: 'warn', message, args }),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return seen;
}
afterEach(() => diag.disable());

describe('router.decide: the default rule', () => {
  const { router: r } = router();

  it('sends a short unary request to the latency lane by default', () => {
    expect(r.decide(small, { stream: false })).toEqual({ lane: 'latency', reason: 'default' });
    expect(r.decide(unsized, { stream: false })).toEqual({ lane: 'latency', reason: 'default' });
  });

  it('sends a stream to the latency lane, however long it may be', () => {
    expect(r.decide(small, { stream: true })).toEqual({ lane: 'latency', reason: 'stream' });
    expect(r.decide(large, { stream: true })).toEqual({ lane: 'latency', reason: 'stream' });
  });

  it('sends a unary request asking for more than 2048 output tokens to the throughput lane', () => {
    expect(DEFAULT_ROUTE_RULES.maxLatencyOutputTokens).toBe(2048);
    const tokens = (maxOutputTokens: number) => ({
      model,
      contents: 'x',
      config: { maxOutputTokens },
    });
    expect(r.decide(tokens(2048), { stream: false })).toEqual({
      lane: 'latency',
      reason: 'default',
    });
    expect(r.decide(tokens(2049), { stream: false })).toEqual({
      lane: 'throughput',
      reason: 'size',
    });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'throughput', reason: 'size' });
  });

  it('follows a caller hint over the stream and size rules (reason explicit)', () => {
    expect(r.decide(small, { stream: false, hint: 'batch' })).toEqual({
      lane: 'throughput',
      reason: 'explicit',
    });
    expect(r.decide(small, { stream: true, hint: 'batch' })).toEqual({
      lane: 'throughput',
      reason: 'explicit',
    });
    expect(r.decide(large, { stream: false, hint: 'interactive' })).toEqual({
      lane: 'latency',
      reason: 'explicit',
    });
  });

  it('lets an explicit lane win over everything', () => {
    expect(r.decide(large, { stream: false, lane: 'latency', hint: 'batch' })).toEqual({
      lane: 'latency',
      reason: 'explicit',
    });
    expect(r.decide(small, { stream: true, lane: 'throughput' })).toEqual({
      lane: 'throughput',
      reason: 'explicit',
    });
  });

  it('refuses a lane or hint that is not one, naming the option', () => {
    expect(() => r.decide(small, { stream: false, lane: 'fast' as never })).toThrow(
      /options\.lane must be 'latency' or 'throughput' \(got "fast"\)/,
    );
    expect(() => r.decide(small, { stream: false, hint: 'urgent' as never })).toThrow(
      /options\.hint must be 'interactive' or 'batch' \(got "urgent"\)/,
    );
  });
});

describe('router.decide: rules', () => {
  it('takes its own size threshold', () => {
    const { router: r } = router({ rules: { maxLatencyOutputTokens: 100 } });
    expect(r.rules).toEqual({ ...DEFAULT_ROUTE_RULES, maxLatencyOutputTokens: 100 });
    expect(r.decide(small, { stream: false })).toEqual({ lane: 'latency', reason: 'default' });
    const mid = { model, contents: 'x', config: { maxOutputTokens: 101 } };
    expect(r.decide(mid, { stream: false })).toEqual({ lane: 'throughput', reason: 'size' });
  });

  it('turns the size rule off with Infinity', () => {
    const { router: r } = router({ rules: { maxLatencyOutputTokens: Number.POSITIVE_INFINITY } });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'latency', reason: 'default' });
  });

  it('lets streams be sized like unary calls when streamsToLatency is off', () => {
    const { router: r } = router({ rules: { streamsToLatency: false } });
    expect(r.decide(large, { stream: true })).toEqual({ lane: 'throughput', reason: 'size' });
    expect(r.decide(small, { stream: true })).toEqual({ lane: 'latency', reason: 'default' });
  });

  it('uses its default lane when nothing else decides', () => {
    const { router: r } = router({ rules: { defaultLane: 'throughput' } });
    expect(r.decide(small, { stream: false })).toEqual({ lane: 'throughput', reason: 'default' });
    expect(r.decide(small, { stream: true })).toEqual({ lane: 'latency', reason: 'stream' });
  });

  it('refuses rules out of range, naming the field', () => {
    const lanes = fakeLanes();
    const make = (rules: object) => () =>
      createRouter({ latency: lanes.latency, throughput: lanes.throughput, rules });
    expect(make({ maxLatencyOutputTokens: -5 })).toThrow(
      'createRouter: rules.maxLatencyOutputTokens must be a number > 0 (got -5)',
    );
    expect(make({ maxLatencyOutputTokens: Number.NaN })).toThrow(/got NaN/);
    expect(make({ streamsToLatency: 'yes' })).toThrow(
      'createRouter: rules.streamsToLatency must be a boolean (got "yes")',
    );
    expect(make({ defaultLane: 'fast' })).toThrow(
      `createRouter: rules.defaultLane must be 'latency' or 'throughput' (got "fast")`,
    );
  });

  it('refuses lanes that are not lanes and a classifier that is not a function', () => {
    const lanes = fakeLanes();
    expect(() =>
      createRouter({ latency: lanes.latency, throughput: {} as RouterThroughputLane }),
    ).toThrow(
      'createRouter: options.throughput must be a throughput lane (an object with generateContent, generateContentStream, embedContent)',
    );
    expect(() =>
      createRouter({ latency: undefined as never, throughput: lanes.throughput }),
    ).toThrow(/options\.latency must be a latency lane/);
    expect(() =>
      createRouter({ ...lanes, classify: 'latency' as unknown as RouteClassifier }),
    ).toThrow('createRouter: options.classify must be a function');
  });
});

describe('router.decide: classifier', () => {
  it('decides before the default rule and the hint, with what it was given', () => {
    const given: unknown[] = [];
    const { router: r } = router({
      classify: (request) => {
        given.push(request);
        return request.params.contents === 'bulk' ? 'throughput' : undefined;
      },
    });
    const bulk = { model, contents: 'bulk' };
    expect(r.decide(bulk, { stream: true, hint: 'interactive' })).toEqual({
      lane: 'throughput',
      reason: 'classifier',
    });
    expect(given).toEqual([{ params: bulk, stream: true, hint: 'interactive' }]);
    // undefined: the default rule (here the hint) decides.
    expect(r.decide(small, { stream: false, hint: 'batch' })).toEqual({
      lane: 'throughput',
      reason: 'explicit',
    });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'throughput', reason: 'size' });
  });

  it('can send a large request to the latency lane', () => {
    const { router: r } = router({ classify: () => 'latency' });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'latency', reason: 'classifier' });
  });

  it('loses to an explicit lane, and is not even asked then', () => {
    let asked = 0;
    const { router: r } = router({
      classify: () => {
        asked++;
        return 'throughput';
      },
    });
    expect(r.decide(small, { stream: false, lane: 'latency' })).toEqual({
      lane: 'latency',
      reason: 'explicit',
    });
    expect(asked).toBe(0);
  });

  it('that throws is reported through diag, and the default rule decides: the call goes on', async () => {
    const reported = captureDiag();
    const boom = new Error('classifier bug');
    const { router: r, calls } = router({
      classify: () => {
        throw boom;
      },
    });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'throughput', reason: 'size' });
    expect(reported).toEqual([
      {
        level: 'error',
        message: '@gemini-lanes/lanes: router classify() threw; the default rule decides',
        args: [boom],
      },
    ]);
    expect((await r.generateContent(small)).text).toBe('latency');
    expect(calls.map((c) => c.lane)).toEqual(['latency']);
    expect(reported).toHaveLength(2);
  });

  it('that returns something other than a lane is reported, and the default rule decides', async () => {
    const reported = captureDiag();
    const { router: r } = router({ classify: (() => 'fast') as unknown as RouteClassifier });
    expect(r.decide(small, { stream: true })).toEqual({ lane: 'latency', reason: 'stream' });
    expect(reported.map((d) => d.message)).toEqual([
      `@gemini-lanes/lanes: router classify() returned "fast", not 'latency', 'throughput' or undefined; the default rule decides`,
    ]);
  });

  it('that is async is reported, and its rejection does not go unhandled', async () => {
    const reported = captureDiag();
    const failure = new Error('async classifier');
    const { router: r } = router({
      classify: (async () => {
        throw failure;
      }) as unknown as RouteClassifier,
    });
    expect(r.decide(large, { stream: false })).toEqual({ lane: 'throughput', reason: 'size' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(reported.map((d) => [d.level, d.message])).toEqual([
      [
        'warn',
        '@gemini-lanes/lanes: router classify() returned a promise; it must return a lane synchronously, so the default rule decides',
      ],
      ['error', '@gemini-lanes/lanes: router classify() rejected'],
    ]);
    expect(reported[1]?.args).toEqual([failure]);
  });
});

describe('router calls', () => {
  it('takes the real lanes as they are (checked by the typecheck)', () => {
    expectTypeOf<LatencyLane>().toExtend<RouterLatencyLane>();
    expectTypeOf<ThroughputLane>().toExtend<RouterThroughputLane>();
  });

  it('sends each call to its lane with only the options that lane takes', async () => {
    const { router: r, calls } = router();
    const signal = new AbortController().signal;
    const all = {
      priority: 'high',
      maxQueueWaitMs: 50,
      tenant: 'acme',
      timeoutMs: 900,
      signal,
    } as const;
    expect((await r.generateContent(small, all)).text).toBe('latency');
    expect((await r.generateContent(large, all)).text).toBe('throughput');
    expect((await r.generateContent(small, { ...all, lane: 'throughput' })).text).toBe(
      'throughput',
    );
    expect((await r.generateContent(small)).text).toBe('latency');
    expect(calls).toEqual([
      {
        lane: 'latency',
        method: 'generateContent',
        options: { priority: 'high', maxQueueWaitMs: 50, tenant: 'acme', timeoutMs: 900, signal },
      },
      { lane: 'throughput', method: 'generateContent', options: { timeoutMs: 900, signal } },
      { lane: 'throughput', method: 'generateContent', options: { timeoutMs: 900, signal } },
      { lane: 'latency', method: 'generateContent', options: {} },
    ]);
  });

  it("passes a lane's error through unchanged", async () => {
    const lanes = fakeLanes();
    const failure = new Error('upstream said no');
    lanes.throughput.generateContent = async () => {
      throw failure;
    };
    const r = createRouter(lanes);
    await expect(r.generateContent(large)).rejects.toBe(failure);
  });

  it('refuses a bad lane option as a rejected promise, not a throw', async () => {
    const { router: r, calls } = router();
    const pending = r.generateContent(small, { lane: 'fast' as never });
    await expect(pending).rejects.toBeInstanceOf(RangeError);
    expect(calls).toEqual([]);
  });

  it('streams the chosen lane, deciding when the first chunk is asked for', async () => {
    const { router: r, calls, closed } = router();
    const stream = r.generateContentStream(small, { priority: 'low', timeoutMs: 100 });
    expect(calls).toEqual([]);
    const texts: unknown[] = [];
    for await (const chunk of stream) texts.push(chunk.text);
    expect(texts).toEqual(['latency 0', 'latency 1', 'latency 2']);
    expect(calls).toEqual([
      {
        lane: 'latency',
        method: 'generateContentStream',
        options: { priority: 'low', timeoutMs: 100 },
      },
    ]);
    expect(closed).toEqual(['latency']);

    for await (const chunk of r.generateContentStream(small, { hint: 'batch', priority: 'low' })) {
      texts.push(chunk.text);
    }
    expect(texts.slice(3)).toEqual(['throughput 0', 'throughput 1', 'throughput 2']);
    expect(calls[1]).toEqual({ lane: 'throughput', method: 'generateContentStream', options: {} });
  });

  it("stops the lane's stream when the caller stops reading", async () => {
    const { router: r, closed } = router();
    for await (const chunk of r.generateContentStream(small)) {
      expect(chunk.text).toBe('latency 0');
      break;
    }
    expect(closed).toEqual(['latency']);
  });

  it("passes a stream's error through unchanged, after the chunks before it", async () => {
    const lanes = fakeLanes();
    const failure = new Error('stream broke');
    lanes.latency.generateContentStream = async function* () {
      yield answer('one');
      throw failure;
    };
    const r = createRouter(lanes);
    const seenChunks: unknown[] = [];
    const error = await (async () => {
      for await (const chunk of r.generateContentStream(small)) seenChunks.push(chunk.text);
    })().catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(seenChunks).toEqual(['one']);
  });

  it('embeds on the throughput lane and counts tokens on the latency lane', async () => {
    const { router: r, calls } = router();
    const signal = new AbortController().signal;
    const embedded = await r.embedContent({ model: 'gemini-embedding-001', contents: 'x' }, {
      signal,
      lane: 'latency',
    } as never);
    expect(embedded.embeddings?.[0]?.values).toEqual([1, 2]);
    expect((await r.countTokens({ model, contents: 'x' }, { priority: 'high' })).totalTokens).toBe(
      3,
    );
    expect(calls).toEqual([
      { lane: 'throughput', method: 'embedContent', options: { signal } },
      { lane: 'latency', method: 'countTokens', options: { priority: 'high' } },
    ]);
  });
});

describe('router decisions metric', () => {
  it('counts every routed call by lane and reason in gemini_lanes.router.decisions', async () => {
    const h = metricsHarness();
    const { router: r } = router({
      telemetry: h.telemetry,
      classify: (req) => (req.params.contents === 'vip' ? 'latency' : undefined),
    });
    const decisions = (lane: string, reason: string) =>
      h.value('gemini_lanes.router.decisions', {
        'gemini_lanes.lane': lane,
        'gemini_lanes.route.reason': reason,
      });
    await r.generateContent(small);
    await r.generateContent(small);
    await r.generateContent(large);
    await r.generateContent({ ...large, contents: 'vip' });
    await r.generateContent(small, { lane: 'throughput' });
    await r.generateContent(large, { hint: 'interactive' });
    for await (const _ of r.generateContentStream(small)) break;
    await r.embedContent({ model: 'gemini-embedding-001', contents: 'x' });
    await r.countTokens({ model, contents: 'x' });
    r.decide(large, { stream: false });
    expect({
      latencyDefault: await decisions('latency', 'default'),
      throughputSize: await decisions('throughput', 'size'),
      latencyClassifier: await decisions('latency', 'classifier'),
      throughputExplicit: await decisions('throughput', 'explicit'),
      latencyExplicit: await decisions('latency', 'explicit'),
      latencyStream: await decisions('latency', 'stream'),
      // embedContent: the throughput lane, by default.
      throughputDefault: await decisions('throughput', 'default'),
    }).toEqual({
      latencyDefault: 2,
      throughputSize: 1,
      latencyClassifier: 1,
      throughputExplicit: 1,
      latencyExplicit: 1,
      latencyStream: 1,
      throughputDefault: 1,
    });
    // countTokens and decide() are not routed calls.
    expect(await h.value('gemini_lanes.router.decisions', {})).toBe(8);
    await h.shutdown();
  });

  it('starts every lane and reason at 0 when the router is created', () => {
    const added: Array<[number, unknown]> = [];
    const telemetry = {
      instruments: {
        routed: { add: (value: number, attributes: unknown) => added.push([value, attributes]) },
      },
    } as unknown as Telemetry;
    router({ telemetry });
    expect(added).toHaveLength(10);
    expect(added.every(([value]) => value === 0)).toBe(true);
    expect(added.map(([, a]) => a)).toContainEqual({
      'gemini_lanes.lane': 'throughput',
      'gemini_lanes.route.reason': 'size',
    });
    expect(new Set(added.map(([, a]) => JSON.stringify(a))).size).toBe(10);
  });

  it('never breaks a call when the metric throws: diag hears of it', async () => {
    const reported = captureDiag();
    const telemetry = {
      instruments: {
        routed: {
          add: () => {
            throw new Error('broken meter');
          },
        },
      },
    } as unknown as Telemetry;
    const { router: r } = router({ telemetry });
    expect((await r.generateContent(large)).text).toBe('throughput');
    expect((await r.embedContent({ model, contents: 'x' })).embeddings).toHaveLength(1);
    expect(reported.map((d) => d.message)).toEqual([
      '@gemini-lanes/otel: router decision metric failed; the observed call is unaffected',
      '@gemini-lanes/otel: router decision metric failed; the observed call is unaffected',
      '@gemini-lanes/otel: router decision metric failed; the observed call is unaffected',
    ]);
  });
});
