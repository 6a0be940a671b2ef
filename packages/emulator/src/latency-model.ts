import type { ModelProfile, Quantiles } from './profiles.js';
import { LogNormal, type Random } from './random.js';

/** Something that draws a number from a seeded random stream. */
export interface Sampler {
  sample(random: Random): number;
}

const samplers = new WeakMap<Quantiles, Sampler>();

/** A constant for `median: 0` or `p95 == median`, otherwise a log-normal through both points. */
export function samplerOf(q: Quantiles): Sampler {
  let sampler = samplers.get(q);
  if (sampler === undefined) {
    sampler = makeSampler(q);
    samplers.set(q, sampler);
  }
  return sampler;
}

function makeSampler(q: Quantiles): Sampler {
  if (q.median === 0 || q.p95 === q.median) {
    const value = q.median;
    return {
      sample(random) {
        // Still draw, so the stream stays aligned whether or not a quantity varies.
        random.normal();
        return value;
      },
    };
  }
  return new LogNormal(q.median, q.p95);
}

/** One request's latency, in emulated milliseconds and tokens per second. */
export interface LatencySample {
  /** Time to the first chunk, excluding thinking. */
  ttftMs: number;
  /** Thinking time before the first chunk, if the request thinks. */
  thinkingMs: number;
  decodeTokensPerSecond: number;
}

/** What else is going on when a request starts. */
export interface LoadConditions {
  /** Generations in flight on this model, this one included. */
  load: number;
  /** The run-time latency regression (1 = none). */
  multiplier: number;
}

/**
 * A model's latency: time to first token, thinking time and decode rate from the profile's
 * distributions, stretched by a mild slowdown per concurrent generation and by the latency
 * regression switched on through the control route.
 */
export class LatencyModel {
  readonly #ttft: Sampler;
  readonly #thinking: Sampler;
  readonly #decode: Sampler;
  readonly #loadSlowdown: number;

  constructor(profile: ModelProfile) {
    this.#ttft = samplerOf(profile.ttftMs);
    this.#thinking = samplerOf(profile.thinkingMs);
    this.#decode = samplerOf(profile.decodeTokensPerSecond);
    this.#loadSlowdown = profile.loadSlowdown;
  }

  /** Draws ttft, thinking and decode rate, in that order, always three draws. */
  sample(random: Random, conditions: LoadConditions = { load: 1, multiplier: 1 }): LatencySample {
    const factor =
      (1 + this.#loadSlowdown * Math.max(0, conditions.load - 1)) * conditions.multiplier;
    return {
      ttftMs: this.#ttft.sample(random) * factor,
      thinkingMs: this.#thinking.sample(random) * factor,
      decodeTokensPerSecond: this.#decode.sample(random) / factor,
    };
  }
}
