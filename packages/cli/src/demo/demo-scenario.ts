import { defineConfig, type GeminiLanesConfig } from '@gemini-lanes/core';
import type { EmulatorOptions } from '@gemini-lanes/emulator';

/** The model both lanes use in the demo: one model, so the quota (and its reserved share) is shared. */
export const DEMO_MODEL = 'gemini-2.5-flash-lite';
export const DEMO_EMBEDDING_MODEL = 'gemini-embedding-001';

/** Interactive requests per second when `--load` is not given. */
export const DEFAULT_LOAD = { emulator: 6, real: 1 } as const;
/** Requests in the generated batch job. */
export const BATCH_SIZE = { emulator: 3000, real: 50 } as const;
/** How long the demo runs when stdout is not a terminal and `--duration` is not given (CI). */
export const NON_TTY_DURATION_MS = 60_000;

/**
 * The demo's configuration: both lanes on Flash-Lite, a latency lane sized for the default load
 * (8 at once, so a burst queues and the lane refuses what cannot start within 100 ms), and a
 * quota the mixed load presses on: the batch job alone would use several times of it, so the
 * throughput lane runs at the quota's ceiling, outside the latency lane's reserved quarter,
 * and backs off (its concurrency limit cut) whenever the latency lane's queue wait rises or it
 * is rate-limited. The batch answers are capped at 128 tokens so the job moves visibly.
 */
export function demoConfig(): GeminiLanesConfig {
  return defineConfig({
    service: 'mixed-service',
    quota: {
      models: {
        [DEMO_MODEL]: { rpm: 1500, inputTpm: 600_000, rpd: 1_000_000 },
        [DEMO_EMBEDDING_MODEL]: { rpm: 3000, inputTpm: 1_000_000, rpd: 1_000_000 },
      },
      latencyReservedShare: 0.25,
    },
    lanes: {
      latency: {
        models: [DEMO_MODEL],
        concurrency: 8,
        queue: { maxLength: 32 },
        pool: { prewarm: 4 },
      },
      throughput: {
        models: [DEMO_MODEL],
        concurrency: { initial: 8, max: 48 },
        floorTokensPerSecond: 1000,
      },
    },
    alerts: { costBudgetUsdPerHour: 5 },
  });
}

/**
 * The project's quota at the emulator, as a multiple of the quota the configuration gives the
 * service. 1: the lanes' shared limiter keeps every rolling minute within the configured quota,
 * so the emulator counting the same quota refuses (almost) nothing.
 */
export const UPSTREAM_QUOTA_HEADROOM = 1;

/**
 * The emulator behind the demo: the realistic latency profile, except that Flash-Lite's time
 * to first token is that of a nearby region (median 180 ms, p95 340 ms; the built-in 300/700 ms
 * would put the latency lane over a 500 ms SLA before any load); the project's quota
 * (`UPSTREAM_QUOTA_HEADROOM` times the configuration's); and a little fault injection (1%
 * 503s, 0.5% 500s) so retries show.
 */
export function demoEmulatorOptions(config: GeminiLanesConfig, seed: number): EmulatorOptions {
  return {
    profile: 'default',
    seed,
    quota: Object.fromEntries(
      Object.entries(config.quota.models).map(([model, q]) => [
        model,
        {
          rpm: q.rpm * UPSTREAM_QUOTA_HEADROOM,
          inputTpm: q.inputTpm * UPSTREAM_QUOTA_HEADROOM,
          rpd: q.rpd * UPSTREAM_QUOTA_HEADROOM,
        },
      ]),
    ),
    models: { [DEMO_MODEL]: { ttftMs: { median: 180, p95: 340 } } },
    faults: { rates: { '503': 0.01, '500': 0.005 } },
  };
}
