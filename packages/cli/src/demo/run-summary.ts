import { relative, sep } from 'node:path';
import type { Lane } from '@gemini-lanes/core';
import type { JobStatus } from '@gemini-lanes/example-mixed-service';
import type { DemoArtifacts } from './demo-artifacts.js';
import { bucketQuantile, type LaneTotals, latencySli, type Snapshot } from './lane-snapshot.js';
import { clock } from './live-view.js';
import type { ClientCounts, LoadStats } from './load-generator.js';

export interface SummaryInput {
  elapsedMs: number;
  /** Why it stopped, in words: `--duration 1m`, `Ctrl-C`. */
  stoppedBy: string;
  sla: { ttftMs: number; durationMs: number };
  /** Cumulative totals at the end: the whole run. */
  totals: Snapshot;
  clients: LoadStats;
  job: JobStatus | undefined;
  jobTotal: number;
  /** Earlier passes over the batch input this run finished. */
  jobRunsFinished: number;
  artifacts: DemoArtifacts;
  metricsUrl: string | undefined;
  /** `host:port` the generated prometheus.yml scrapes. */
  prometheusTarget: string;
  /** The command that runs the demo again with the same files (resumes the job). */
  rerun: string;
  /** Unexpected errors the service logged, and the first few of them not shown yet. */
  serviceErrors: { count: number; kept: string[] };
  cwd: string;
}

const LANES = ['latency', 'throughput'] as const;
const count = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (seconds: number | undefined) =>
  seconds === undefined
    ? '-'
    : seconds >= 10
      ? `${seconds.toFixed(1)} s`
      : `${Math.round(seconds * 1000)} ms`;

function outcomes(t: LaneTotals, keys: readonly string[]): number {
  return keys.reduce((sum, key) => sum + (t.outcomes[key] ?? 0), 0);
}

/** A path as short as it can be said from the working directory. */
function shown(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : `.${sep}${rel}`;
}

function clientText(name: string, c: ClientCounts): string {
  const issues: string[] = [];
  if (c.refused > 0) issues.push(`${count(c.refused)} refused with 503 + Retry-After`);
  if (c.rateLimited > 0) issues.push(`${count(c.rateLimited)} got 429`);
  if (c.failed > 0) issues.push(`${count(c.failed)} failed`);
  if (c.cancelled > 0) issues.push(`${count(c.cancelled)} cut short at the end`);
  return `${count(c.sent)} ${name}${issues.length > 0 ? ` (${issues.join(', ')})` : ''}`;
}

function percentile(samples: number[], q: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/**
 * The summary printed when the demo ends: per lane the calls by outcome, time to first chunk
 * p50/p95/p99 over the whole run against the SLA, tokens and cost; what the clients saw; the
 * batch job and where its checkpoint is; the generated files and the metrics endpoint.
 */
export function renderSummary(input: SummaryInput): string[] {
  const { totals, sla, cwd } = input;
  const rows: Array<[string, (t: LaneTotals, lane: Lane) => string]> = [
    ['calls', (t) => count(outcomes(t, Object.keys(t.outcomes)))],
    ['  succeeded', (t) => count(outcomes(t, ['success']))],
    ['  rejected or timed out', (t) => count(outcomes(t, ['rejected', 'timed_out']))],
    ['  failed', (t) => count(outcomes(t, ['error']))],
    ['  cancelled', (t) => count(outcomes(t, ['cancelled']))],
    ['time to first chunk  p50', (t) => ms(bucketQuantile(t.ttft, 0.5))],
    ['                     p95', (t) => ms(bucketQuantile(t.ttft, 0.95))],
    ['                     p99', (t) => ms(bucketQuantile(t.ttft, 0.99))],
    [
      'within the SLA (the SLI)',
      (t, lane) => {
        if (lane !== 'latency') return '-';
        const sli = latencySli(t, {
          ttftSeconds: sla.ttftMs / 1000,
          durationSeconds: sla.durationMs / 1000,
        });
        return sli === undefined ? '-' : `${(sli * 100).toFixed(1)}%`;
      },
    ],
    ['duration p95', (t) => ms(bucketQuantile(t.duration, 0.95))],
    ['retries', (t) => count(t.retries)],
    ['tokens', (t) => count(t.tokens)],
    ['cost', (t) => `$${t.costUsd.toFixed(4)}`],
  ];
  const lines = [
    `gemini-lanes demo: stopped after ${clock(input.elapsedMs)} (${input.stoppedBy}). Over the whole run:`,
    `(time to first chunk of the streams that got one; the SLI counts streams within ${sla.ttftMs} ms and`,
    `unary calls within ${sla.durationMs} ms as good, and failed, refused and timed-out calls as bad)`,
    '',
    ''.padEnd(26) + LANES.map((lane) => lane.padStart(12)).join(''),
  ];
  for (const [label, cell] of rows) {
    lines.push(
      label.padEnd(26) + LANES.map((lane) => cell(totals[lane], lane).padStart(12)).join(''),
    );
  }
  lines.push('');

  const { counts, chatFirstTextMs } = input.clients;
  const p50 = percentile(chatFirstTextMs, 0.5);
  const p95 = percentile(chatFirstTextMs, 0.95);
  lines.push(
    `clients: ${clientText('chat streams', counts.chat)}, ${clientText('unary calls', counts.generate)}, ${clientText('embedding calls', counts.embed)}`,
  );
  if (p50 !== undefined && p95 !== undefined) {
    lines.push(
      `  first text as the clients saw it (the service's HTTP hop included): p50 ${Math.round(p50)} ms, p95 ${Math.round(p95)} ms`,
    );
  }

  const job = input.job;
  if (job !== undefined) {
    const p = job.summary ?? job.progress;
    const share = input.jobTotal > 0 ? ` (${Math.floor((p.done / input.jobTotal) * 100)}%)` : '';
    const earlier =
      input.jobRunsFinished > 0 ? `; ${input.jobRunsFinished} earlier pass(es) finished` : '';
    const head = `batch job: ${job.state}, ${count(p.done)} of ${count(input.jobTotal)} done${share}, ${count(p.failed)} failed, $${p.costUsd.toFixed(4)}${earlier}`;
    lines.push(head);
    if (job.state === 'cancelled' || job.state === 'running') {
      lines.push(
        `  resumable: its checkpoint is ${shown(job.checkpoint, cwd)}; \`${input.rerun}\` continues it`,
      );
    } else if (job.state === 'failed' && job.error !== undefined) {
      lines.push(`  ${job.error.code}: ${job.error.message}`);
    }
    lines.push(`  results: ${shown(job.output, cwd)}`);
  }
  const errors = input.serviceErrors;
  if (errors.count > 0) {
    const where = errors.kept.length > 0 ? ', the first of them:' : ' (on stderr)';
    lines.push(`the service logged ${errors.count} unexpected error(s)${where}`);
    for (const line of errors.kept) lines.push(`  ${line}`);
  }

  const a = input.artifacts;
  lines.push(
    'generated from the demo configuration:',
    `  dashboards  ${shown(a.dashboardsDir, cwd)}${sep}  ${a.dashboards.join(', ')}`,
    `  rules       ${shown(a.rulesFile, cwd)}  (${a.alertFiles.filter((f) => !a.rulesFile.endsWith(f)).join(', ')} beside it)`,
    `  prometheus  ${shown(a.prometheusConfig, cwd)}  scrapes the metrics endpoint and loads the rules`,
  );
  const port = input.prometheusTarget.split(':').at(-1);
  const metricsPort = port === '9464' ? '' : ` --metrics-port ${port}`;
  lines.push(
    `metrics: ${input.metricsUrl ?? 'not served'}${input.metricsUrl === undefined ? '' : " served the demo's metrics while it ran; it closed with the demo"}.`,
    `  To watch the dashboards fill, run the example service (its metrics on ${input.prometheusTarget}) and Prometheus:`,
    `    pnpm --filter @gemini-lanes/example-mixed-service start${metricsPort}`,
    `    prometheus --config.file=${shown(a.prometheusConfig, cwd)}`,
  );
  return lines;
}
