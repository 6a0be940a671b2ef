/**
 * One contender of the job-scale benchmark (test/bench/job-scale.ts): a process of its own,
 * started with the Node flags under test, that runs the job through `lane.run(file, { output })`
 * against the parent's emulator and measures only itself. Its RSS, sampled every 100 ms, and
 * `maxRSS` (its own high-water mark, read before the lane closes) are the figures the parent
 * reports. Prints progress lines, then one `RESULT {json}` line.
 */
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { defineConfig } from '@gemini-lanes/core';
import { createQuotaLimiter, createThroughputLane } from '@gemini-lanes/lanes';

export interface ChildJob {
  url: string;
  input: string;
  output: string;
  model: string;
  apiKey: string;
  quota: { rpm: number; inputTpm: number; rpd: number };
}

export interface ChildResult {
  jobSeconds: number;
  summary: { done: number; failed: number; written: number };
  /** Every RSS sample, in bytes, every 100 ms from just before the job starts. */
  rssSamples: number[];
  maxRssBytes: number;
  heapTotalPeakBytes: number;
  heapUsedPeakBytes: number;
  /** With `--expose-gc`: heap used right after a forced full GC, every 10 s (MB). */
  liveHeapMB?: number[];
  gc: { minor: number; major: number; pauseMs: number };
  concurrencyLimitAtEnd: number;
}

const MB = 1024 * 1024;
const round = (x: number) => Math.round(x * 10) / 10;

async function main(job: ChildJob): Promise<ChildResult> {
  const config = defineConfig({
    quota: { models: { [job.model]: job.quota }, latencyReservedShare: 0 },
    lanes: { throughput: { models: [job.model] } },
  });
  const quota = createQuotaLimiter(config.quota);
  const lane = createThroughputLane(config.lanes.throughput, {
    apiKey: job.apiKey,
    baseUrl: job.url,
    quota,
  });
  const gcStats = { minor: 0, major: 0, pauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // A gc entry's `detail` says which kind of GC it was.
      const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcStats.minor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcStats.major++;
      gcStats.pauseMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const rss: number[] = [];
  let heapTotalPeak = 0;
  let heapUsedPeak = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss.push(m.rss);
    heapTotalPeak = Math.max(heapTotalPeak, m.heapTotal);
    heapUsedPeak = Math.max(heapUsedPeak, m.heapUsed);
  };
  sample();
  const sampler = setInterval(sample, 100);
  const gc = (globalThis as { gc?: () => void }).gc;
  const liveHeap: number[] = [];
  const probe = gc
    ? setInterval(() => {
        gc();
        liveHeap.push(round(process.memoryUsage().heapUsed / MB));
      }, 10_000)
    : undefined;
  const started = performance.now();
  const run = lane.run(job.input, { output: job.output });
  const progress = setInterval(() => {
    const p = run.progress();
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(
      `  ${p.done.toLocaleString('en')} done (${p.failed} failed), ${Math.round(p.done / seconds).toLocaleString('en')} lines/s, rss ${round((rss.at(-1) ?? 0) / MB)} MB, peak ${round(Math.max(...rss) / MB)} MB, limit ${lane.stats().limit}\n`,
    );
  }, 10_000);
  let summary: Awaited<typeof run.done>;
  try {
    summary = await run.done;
  } finally {
    clearInterval(progress);
    clearInterval(sampler);
    clearInterval(probe);
  }
  sample();
  const jobSeconds = (performance.now() - started) / 1000;
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const concurrencyLimitAtEnd = lane.stats().limit;
  observer.disconnect();
  await lane.close();
  await quota.close();
  return {
    jobSeconds,
    summary: { done: summary.done, failed: summary.failed, written: summary.written },
    rssSamples: rss,
    maxRssBytes,
    heapTotalPeakBytes: heapTotalPeak,
    heapUsedPeakBytes: heapUsedPeak,
    ...(gc ? { liveHeapMB: liveHeap } : {}),
    gc: { ...gcStats, pauseMs: Math.round(gcStats.pauseMs) },
    concurrencyLimitAtEnd,
  };
}

const result = await main(JSON.parse(process.argv[2] ?? '{}') as ChildJob);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
