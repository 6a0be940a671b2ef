import type { EmulatorHandle } from '@gemini-lanes/emulator';

export { readResults, until } from '../jobs/support/job-files.js';

export const LITE = 'gemini-2.5-flash-lite';
export const FLASH = 'gemini-2.5-flash';

/** Configuration of a throughput lane serving both models, with room in the quota. */
export const LANE_CONFIG = {
  lanes: {
    latency: { models: [LITE] },
    throughput: {
      models: [LITE, FLASH],
      retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 10, budget: 1 },
    },
  },
  quota: {
    models: {
      [LITE]: { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 },
      [FLASH]: { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 },
    },
  },
};

/** Fast polling for an emulator whose batch timing is scaled down to milliseconds. */
export const FAST_POLL = { pollIntervalMs: 2, maxPollIntervalMs: 10 };

/** An input line; every `flashEvery`-th line (1-based) asks for the other model. */
export function requestLine(i: number, model = LITE): string {
  return JSON.stringify({
    id: `q${i}`,
    request: {
      model,
      contents: `question ${i}`,
      config: { maxOutputTokens: 24, thinkingConfig: { thinkingBudget: 0 } },
    },
  });
}

/** `n` request lines `q1` ... `qn`, every fourth one for the other model when `mixed`. */
export function requestLines(n: number, mixed = false): string[] {
  return Array.from({ length: n }, (_, i) =>
    requestLine(i + 1, mixed && (i + 1) % 4 === 0 ? FLASH : LITE),
  );
}

/** A batch as the emulator lists it (the raw operation: the SDK drops `batchStats`). */
export interface ListedBatch {
  name: string;
  displayName: string;
  state: string;
  requestCount: number;
}

/** Every batch the emulator holds, oldest first. */
export async function listBatches(emulator: EmulatorHandle): Promise<ListedBatch[]> {
  const res = await fetch(`${emulator.url}/v1beta/batches?pageSize=1000`, {
    headers: { 'x-goog-api-key': 'test-key' },
  });
  const body = (await res.json()) as {
    operations?: Array<{
      name: string;
      metadata: { displayName: string; state: string; batchStats: { requestCount: string } };
    }>;
  };
  return (body.operations ?? []).map((op) => ({
    name: op.name,
    displayName: op.metadata.displayName,
    state: op.metadata.state,
    requestCount: Number(op.metadata.batchStats.requestCount),
  }));
}
