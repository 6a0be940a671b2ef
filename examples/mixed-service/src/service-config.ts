import { defineConfig, type GeminiLanesConfig } from '@gemini-lanes/core';

/**
 * The example's configuration: both lanes on Gemini 2.5 Flash-Lite (one quota, so the latency
 * lane's reserved share matters), the paid tier 1 quota, and the embedding model `/embed` uses.
 * Copy it into a `gemini-lanes.config.ts` and tune it; `--config` reads such a file instead.
 */
export const serviceConfig: GeminiLanesConfig = defineConfig({
  service: 'mixed-service',
  quota: {
    models: {
      'gemini-2.5-flash-lite': { rpm: 4000, inputTpm: 4_000_000, rpd: 100_000 },
      'gemini-2.5-flash': { rpm: 1000, inputTpm: 1_000_000, rpd: 10_000 },
      'gemini-embedding-001': { rpm: 3000, inputTpm: 1_000_000, rpd: 100_000 },
    },
    latencyReservedShare: 0.2,
  },
  lanes: {
    latency: { models: ['gemini-2.5-flash-lite'] },
    throughput: { models: ['gemini-2.5-flash-lite'] },
  },
});
