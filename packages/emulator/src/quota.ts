/**
 * The project's quota per model, counted as the API counts it: requests per minute and input
 * tokens per minute over a sliding minute, requests per day over a day that resets at a fixed
 * boundary (the API's resets at midnight Pacific; here every emulated 24 h from start). Only
 * admitted requests count. A refusal carries the wait after which the same request is admitted
 * if nothing else uses the quota meanwhile, computed from the window itself, so it is true.
 */
import type { QuotaViolation } from './errors.js';
import type { QuotaLimits } from './profiles.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export type QuotaLimitName = keyof QuotaLimits;

export type QuotaDecision =
  | { admitted: true }
  | {
      admitted: false;
      exceeded: QuotaLimitName[];
      /** Emulated ms until the request would be admitted; `null` when waiting cannot help. */
      retryAfterMs: number | null;
    };

class ModelWindow {
  times: number[] = [];
  tokens: number[] = [];
  head = 0;
  tokenSum = 0;
  day = -1;
  dayCount = 0;

  purge(now: number): void {
    const cutoff = now - MINUTE_MS;
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= cutoff) {
      this.tokenSum -= this.tokens[this.head] ?? 0;
      this.head++;
    }
    // Compact once the consumed prefix dominates, so memory stays proportional to the window.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.tokens = this.tokens.slice(this.head);
      this.head = 0;
    }
    const day = Math.floor(now / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.dayCount = 0;
    }
  }
}

export class QuotaTracker {
  readonly #windows = new Map<string, ModelWindow>();

  /** Admits and records the request, or says which limits it would exceed and for how long. */
  admit(model: string, limits: QuotaLimits, inputTokens: number, now: number): QuotaDecision {
    if (limits.rpm === null && limits.inputTpm === null && limits.rpd === null) {
      return { admitted: true };
    }
    let window = this.#windows.get(model);
    if (window === undefined) {
      window = new ModelWindow();
      this.#windows.set(model, window);
    }
    window.purge(now);
    const exceeded: QuotaLimitName[] = [];
    let wait = 0;
    let hopeless = false;
    const count = window.times.length - window.head;

    if (limits.rpm !== null && count >= limits.rpm) {
      exceeded.push('rpm');
      // Once the oldest (count - rpm + 1) requests leave the window, one more fits.
      const expiring = window.times[window.head + count - limits.rpm] ?? now;
      wait = Math.max(wait, expiring + MINUTE_MS - now);
    }
    if (limits.inputTpm !== null && window.tokenSum + inputTokens > limits.inputTpm) {
      exceeded.push('inputTpm');
      if (inputTokens > limits.inputTpm) {
        hopeless = true;
      } else {
        let sum = window.tokenSum;
        let i = window.head;
        while (i < window.times.length && sum + inputTokens > limits.inputTpm) {
          sum -= window.tokens[i] ?? 0;
          i++;
        }
        const expiring = window.times[i - 1] ?? now;
        wait = Math.max(wait, expiring + MINUTE_MS - now);
      }
    }
    if (limits.rpd !== null && window.dayCount >= limits.rpd) {
      exceeded.push('rpd');
      wait = Math.max(wait, (window.day + 1) * DAY_MS - now);
    }
    if (exceeded.length > 0) {
      return { admitted: false, exceeded, retryAfterMs: hopeless ? null : wait };
    }
    if (limits.rpm !== null || limits.inputTpm !== null) {
      window.times.push(now);
      window.tokens.push(inputTokens);
      window.tokenSum += inputTokens;
    }
    window.dayCount++;
    return { admitted: true };
  }

  /** Current use of a model's quota. */
  usage(
    model: string,
    now: number,
  ): { requestsPerMinute: number; inputTokensPerMinute: number; requestsToday: number } {
    const window = this.#windows.get(model);
    if (window === undefined)
      return { requestsPerMinute: 0, inputTokensPerMinute: 0, requestsToday: 0 };
    window.purge(now);
    return {
      requestsPerMinute: window.times.length - window.head,
      inputTokensPerMinute: window.tokenSum,
      requestsToday: window.dayCount,
    };
  }

  /** Forgets all use, as if the emulator had just started. */
  reset(): void {
    this.#windows.clear();
  }
}

const METRICS: Record<QuotaLimitName, { metric: string; id: string }> = {
  rpm: {
    metric: 'generativelanguage.googleapis.com/generate_requests_per_model',
    id: 'GenerateRequestsPerMinutePerProjectPerModel',
  },
  inputTpm: {
    metric: 'generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count',
    id: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
  },
  rpd: {
    metric: 'generativelanguage.googleapis.com/generate_requests_per_model_per_day',
    id: 'GenerateRequestsPerDayPerProjectPerModel',
  },
};

/** The `QuotaFailure` violations for the exceeded limits. */
export function quotaViolations(
  model: string,
  limits: QuotaLimits,
  exceeded: readonly QuotaLimitName[],
): QuotaViolation[] {
  return exceeded.map((name) => ({
    quotaMetric: METRICS[name].metric,
    quotaId: METRICS[name].id,
    quotaDimensions: { location: 'global', model },
    quotaValue: String(limits[name]),
  }));
}
