// A batch-api job in its own process, for the crash tests: runs (or resumes) a job through the
// throughput lane of the built package against the emulator at EMULATOR_URL, printing "started",
// "r" for each result written and "done <summary>" at the end. The parent kills it with SIGKILL
// at chosen points; with KILL_AFTER_CREATES=n it kills itself right after its n-th batch create
// returns, before the checkpoint records that batch's name (the window the display name closes).
import { defineConfig } from '@gemini-lanes/core';
import { createThroughputLane } from '@gemini-lanes/lanes';
import { reportJob } from '../jobs/fixtures/report-job.mjs';

const { JOB_INPUT, JOB_OUTPUT, EMULATOR_URL, KILL_AFTER_CREATES, CHUNK_SIZE } = process.env;
const model = 'gemini-2.5-flash-lite';
const config = defineConfig({
  lanes: { latency: { models: [model] }, throughput: { models: [model] } },
  quota: { models: { [model]: { rpm: 100_000, inputTpm: 100_000_000, rpd: 1_000_000 } } },
});
const lane = createThroughputLane(config.lanes.throughput, {
  apiKey: 'test-key',
  baseUrl: EMULATOR_URL,
});

const options = {
  mode: 'batch-api',
  output: JOB_OUTPUT,
  chunkSize: Number(CHUNK_SIZE ?? 3),
  pollIntervalMs: 2,
  maxPollIntervalMs: 10,
  // A killed process needs no fsync; the kills land before, during and after checkpoint writes.
  fsync: false,
};
if (KILL_AFTER_CREATES !== undefined) {
  let creates = 0;
  options[Symbol.for('gemini-lanes.batch.test-hooks')] = {
    afterCreate: () => {
      creates += 1;
      if (creates === Number(KILL_AFTER_CREATES)) process.kill(process.pid, 'SIGKILL');
    },
  };
}

const job = lane.run(JOB_INPUT, options);
try {
  await reportJob(job);
} finally {
  await lane.close();
}
