import type { Lane } from '@gemini-lanes/core';
import type { LaneStats } from './rolling-stats.js';

/** The batch job's progress, as the job runner reports it. */
export interface JobLine {
  done: number;
  failed: number;
  inFlight: number;
  total: number | undefined;
  tokensPerSecond: number;
  costUsd: number;
  etaMs: number | undefined;
  /** `running`, `completed`, `cancelled`, `failed`; running when left out. */
  state?: string;
  /** Said after the progress, e.g. that it resumed from a checkpoint. */
  note?: string;
}

export interface ViewFrame {
  elapsedMs: number;
  durationMs: number | undefined;
  /** The SLA the latency lane is judged by. */
  sla: { ttftMs: number; durationMs: number };
  stats: Record<Lane, LaneStats> | undefined;
  job: JobLine | undefined;
  /** What the lanes talk to, for the header (`emulator, seed 1`). */
  upstream?: string;
  /** The load being driven, one line under the table. */
  load?: string;
}

const LANES = ['latency', 'throughput'] as const;
const LABEL_WIDTH = 26;
const CELL_WIDTH = 12;

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function millis(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
}

function perSecond(value: number): string {
  return value >= 100 ? count(value) : value.toFixed(1);
}

function percent(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value * 100)}%`;
}

function usd(value: number): string {
  return value >= 100 ? `$${count(value)}` : `$${value.toFixed(2)}`;
}

/** `mm:ss` (or `h:mm:ss` from an hour). */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const mmss = `${String(minutes).padStart(2, '0')}:${String(total % 60).padStart(2, '0')}`;
  return hours > 0 ? `${hours}:${mmss}` : mmss;
}

type Row = [label: string, cell: (s: LaneStats, frame: ViewFrame, lane: Lane) => string];

const overSla = (value: number | undefined, sla: number) =>
  value !== undefined && value > sla ? '!' : ' ';

/** Metrics as rows, lanes as columns: it fits an 80-column terminal. */
const ROWS: Row[] = [
  ['time to first chunk  p50', (s) => `${millis(s.ttftMs.p50)} `],
  [
    '                     p95',
    (s, f) => millis(s.ttftMs.p95) + overSla(s.ttftMs.p95, f.sla.ttftMs),
  ],
  ['                     p99', (s) => `${millis(s.ttftMs.p99)} `],
  [
    'duration p95',
    (s, f, lane) =>
      millis(s.durationP95Ms) +
      (lane === 'latency' ? overSla(s.durationP95Ms, f.sla.durationMs) : ' '),
  ],
  ['requests/s', (s) => `${perSecond(s.requestsPerSecond)} `],
  ['rejected/s', (s) => `${perSecond(s.rejectedPerSecond)} `],
  ['errors/s', (s) => `${perSecond(s.errorsPerSecond)} `],
  ['retries/s', (s) => `${perSecond(s.retriesPerSecond)} `],
  ['queue depth', (s) => `${count(s.queueDepth)} `],
  ['in flight / limit', (s) => `${count(s.inflight)}/${s.concurrencyLimit || '-'} `],
  ['tokens/s', (s) => `${count(s.tokensPerSecond)} `],
  ['cost/hour', (s) => `${usd(s.costPerHourUsd)} `],
  ['cache hit ratio', (s) => `${percent(s.cacheHitRatio)} `],
  ['quota used (highest)', (s) => `${percent(s.quotaUtilization)} `],
];

/** The batch job in two lines: progress and ETA, then its average speed, cost so far and any note. */
export function jobText(job: JobLine): [string, string] {
  const of = job.total === undefined ? '' : `/${count(job.total)}`;
  const share =
    job.total === undefined || job.total === 0
      ? ''
      : ` (${Math.floor((job.done / job.total) * 100)}%)`;
  const state = job.state === undefined || job.state === 'running' ? '' : `${job.state}: `;
  const eta =
    job.etaMs === undefined || (job.state ?? 'running') !== 'running'
      ? ''
      : `, ETA ${clock(job.etaMs)}`;
  const note = job.note === undefined ? '' : `; ${job.note}`;
  return [
    `${state}${count(job.done)}${of} done${share}, ${count(job.failed)} failed, ${count(job.inFlight)} in flight${eta}`,
    `${count(job.tokensPerSecond)} tok/s on average, $${job.costUsd.toFixed(4)} so far${note}`,
  ];
}

/**
 * The demo's view as lines: a header (elapsed time, SLA), then per lane (a column each) the time
 * to first chunk percentiles against the SLA (`!` marks a p95 over it), duration p95, request,
 * rejection, error and retry rates, queue depth, in flight against the concurrency limit, tokens
 * per second, cost per hour, cache hit ratio and quota utilisation over the last seconds; then
 * the batch job's progress and the load.
 */
export function renderFrame(frame: ViewFrame): string[] {
  const until = frame.durationMs === undefined ? '' : ` / ${clock(frame.durationMs)}`;
  const upstream = frame.upstream === undefined ? '' : `   upstream: ${frame.upstream}`;
  const lines = [
    `gemini-lanes demo  ${clock(frame.elapsedMs)}${until}${upstream}`,
    `latency lane SLA: first chunk ${frame.sla.ttftMs} ms, unary call ${frame.sla.durationMs} ms ('!': p95 over it)`,
    '',
    ''.padEnd(LABEL_WIDTH) + LANES.map((lane) => `${lane} `.padStart(CELL_WIDTH)).join(''),
  ];
  const stats = frame.stats;
  for (const [label, cell] of ROWS) {
    const cells = LANES.map((lane) => {
      const s = stats?.[lane];
      return (s === undefined ? '… ' : cell(s, frame, lane)).padStart(CELL_WIDTH);
    });
    lines.push(label.padEnd(LABEL_WIDTH) + cells.join(''));
  }
  lines.push('');
  if (frame.job !== undefined) {
    const [progress, speed] = jobText(frame.job);
    lines.push(`batch job  ${progress}`, `           ${speed}`);
  }
  if (frame.load !== undefined) lines.push(`load       ${frame.load}`);
  lines.push(
    stats === undefined
      ? 'warming up: rates need two readings a second apart. Ctrl-C stops the demo.'
      : 'rates and percentiles over the last 10 s. Ctrl-C stops and prints a summary.',
  );
  return lines;
}

/** One line per frame for a non-interactive output. */
export function plainLine(frame: ViewFrame): string {
  const parts = [`[${clock(frame.elapsedMs)}]`];
  for (const lane of LANES) {
    const s = frame.stats?.[lane];
    if (s === undefined) continue;
    const ttft =
      lane === 'latency' || s.ttftMs.p95 !== undefined
        ? `ttft p95 ${millis(s.ttftMs.p95)}${overSla(s.ttftMs.p95, frame.sla.ttftMs).trim()}, `
        : '';
    parts.push(
      `${lane}: ${ttft}${perSecond(s.requestsPerSecond)} req/s, ${perSecond(s.rejectedPerSecond)} rej/s, ${perSecond(s.errorsPerSecond)} err/s, queue ${count(s.queueDepth)}, ${count(s.inflight)}/${s.concurrencyLimit || '-'} in flight, ${count(s.tokensPerSecond)} tok/s, ${usd(s.costPerHourUsd)}/h, ${s.cacheHitRatio === undefined ? '' : `cache ${percent(s.cacheHitRatio)}, `}quota ${percent(s.quotaUtilization)}`,
    );
  }
  if (frame.stats === undefined) parts.push('warming up');
  if (frame.job !== undefined) {
    const of = frame.job.total === undefined ? '' : `/${frame.job.total}`;
    parts.push(`job: ${frame.job.done}${of} done, ${frame.job.failed} failed`);
  }
  return parts.join(' | ');
}

/** Where frames go: a terminal (`isTTY`, `columns`) or anything else. */
export interface ViewOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Writes frames: redrawn in place on a terminal (lines cut to its width, so each is one row and
 * the redraw lands where the last frame began), as plain timestamped lines otherwise (CI, pipes).
 */
export class LiveView {
  readonly #out: ViewOutput;
  readonly #tty: boolean;
  #drawn = 0;

  constructor(out: ViewOutput) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  get interactive(): boolean {
    return this.#tty;
  }

  draw(frame: ViewFrame): void {
    if (!this.#tty) {
      this.#out.write(`${plainLine(frame)}\n`);
      return;
    }
    // A pseudo-terminal without a size reports 0 columns: draw full width then.
    const columns =
      this.#out.columns !== undefined && this.#out.columns > 0 ? this.#out.columns : 120;
    const width = Math.max(20, columns - 1);
    const lines = renderFrame(frame).map((line) =>
      line.length > width ? line.slice(0, width) : line,
    );
    // Hide the cursor, go back to the first line drawn last time and clear to the end of the screen.
    const back = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : '\x1b[?25l';
    this.#out.write(`${back}${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }

  /** Leaves the last frame on screen and shows the cursor again. */
  finish(): void {
    if (this.#tty && this.#drawn > 0) this.#out.write('\x1b[?25h');
    this.#drawn = 0;
  }
}
