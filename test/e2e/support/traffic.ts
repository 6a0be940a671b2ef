import { readFile, writeFile } from 'node:fs/promises';
import type { EmulatorHandle } from '@gemini-lanes/emulator';
import type {
  JobSummary,
  Router,
  RouterCallOptions,
  ThroughputLane,
  ThroughputRunOptions,
} from '@gemini-lanes/lanes';
import { pollUntil } from './poll.ts';

/** The kinds of interactive call the driver makes. */
export type CallKind = 'stream' | 'unary' | 'count_tokens';

/** What the driver sent and how it ended, by kind: the test's own account, for failure messages. */
export class TrafficLedger {
  readonly sent = new Map<string, number>();
  readonly failed = new Map<string, number>();
  /** The first message of each kind of failure. */
  readonly examples = new Map<string, string>();

  record(kind: string, error?: unknown): void {
    this.sent.set(kind, (this.sent.get(kind) ?? 0) + 1);
    if (error === undefined) return;
    const key = `${kind}: ${describeError(error)}`;
    this.failed.set(key, (this.failed.get(key) ?? 0) + 1);
    if (!this.examples.has(key)) {
      const message = error instanceof Error ? error.message : String(error);
      this.examples.set(key, message.split('\n')[0]?.slice(0, 200) ?? '');
    }
  }

  /** `sent: stream ×120, unary ×96; failed: unary: QueueTimeoutError ×3 (first: …)` */
  summary(): string {
    const sent = [...this.sent].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
    const failed =
      [...this.failed].map(([k, n]) => `${k} ×${n} (first: ${this.examples.get(k)})`).join('; ') ||
      'none';
    return `sent: ${sent}; failed: ${failed}`;
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? `${error.name} ${status}` : error.name;
}

/** A load generator that was started; `stop()` ends it and waits for the calls in flight. */
export interface OpenLoop {
  stop(): Promise<void>;
  /** Calls started so far. */
  readonly started: number;
}

/** Calls one tick may start to catch up after the event loop stalled; the rest are dropped. */
const MAX_CATCH_UP = 5;

/**
 * Open-loop traffic: starts `perSecond` calls a second whatever their latency (users do not
 * wait for each other), so a latency regression piles calls up instead of slowing the load
 * down, as it does in production. `send` must not reject.
 */
export function openLoop(perSecond: number, send: (n: number) => Promise<void>): OpenLoop {
  const inflight = new Set<Promise<void>>();
  const start = performance.now();
  let started = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * perSecond) - started;
    for (let i = 0; i < Math.min(due, MAX_CATCH_UP); i++) {
      const call = send(started + i).finally(() => inflight.delete(call));
      inflight.add(call);
    }
    if (due > 0) started += due;
  }, 20);
  return {
    get started() {
      return started;
    },
    stop: async () => {
      clearInterval(timer);
      await Promise.allSettled([...inflight]);
    },
  };
}

/** The interactive mix: half streams, 40 % unary calls, 10 % token counts. */
export function interactiveKind(n: number): CallKind {
  const slot = n % 10;
  return slot < 5 ? 'stream' : slot < 9 ? 'unary' : 'count_tokens';
}

function prompt(n: number): string {
  return `Question ${n}: summarise the trade-off between latency and throughput in one paragraph.`;
}

type InteractiveOptions = Omit<RouterCallOptions, 'hint' | 'lane'>;

/**
 * One interactive call through the router, hinted `interactive` (so the latency lane serves
 * it); failures are recorded, never thrown.
 */
export async function interactiveCall(
  router: Router,
  model: string,
  kind: CallKind,
  n: number,
  ledger: TrafficLedger,
  options: InteractiveOptions = {},
): Promise<void> {
  const routed: RouterCallOptions = { ...options, hint: 'interactive' };
  try {
    if (kind === 'stream') {
      for await (const _chunk of router.generateContentStream(
        { model, contents: prompt(n) },
        routed,
      )) {
        // Read every chunk, as a chat UI renders them.
      }
    } else if (kind === 'unary') {
      await router.generateContent({ model, contents: prompt(n) }, routed);
    } else {
      const { priority, maxQueueWaitMs, timeoutMs, signal } = options;
      await router.countTokens(
        { model, contents: prompt(n) },
        {
          ...(priority === undefined ? {} : { priority }),
          ...(maxQueueWaitMs === undefined ? {} : { maxQueueWaitMs }),
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(signal === undefined ? {} : { signal }),
        },
      );
    }
    ledger.record(kind);
  } catch (error) {
    ledger.record(kind, error);
  }
}

/**
 * More calls at once than the lane admits: the first `concurrency` run, the next wait in its
 * bounded queue, the rest are refused (`queue_full`, or `overloaded` for the ones that may wait
 * only 1 ms). Unary generate calls and token counts alternate, so both kinds are refused.
 */
export async function rejectionBurst(
  router: Router,
  model: string,
  size: number,
  ledger: TrafficLedger,
): Promise<void> {
  const priorities = ['high', 'normal', 'low'] as const;
  await Promise.all(
    Array.from({ length: size }, (_, i) =>
      interactiveCall(router, model, i % 2 === 0 ? 'unary' : 'count_tokens', i, ledger, {
        priority: priorities[i % 3] ?? 'normal',
        ...(i % 4 === 3 ? { maxQueueWaitMs: 1 } : {}),
      }),
    ),
  );
}

/** Unary calls the emulator stalls (by header) until the lane's per-call deadline ends them. */
export async function stalledCalls(
  router: Router,
  model: string,
  count: number,
  timeoutMs: number,
  ledger: TrafficLedger,
): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        await router.generateContent(
          {
            model,
            contents: prompt(i),
            config: { httpOptions: { headers: { 'x-emulator-fault': 'stall' } } },
          },
          { hint: 'interactive', timeoutMs },
        );
        ledger.record('stalled');
      } catch (error) {
        ledger.record('stalled', error);
      }
    }),
  );
}

/** A stream whose reader leaves after the first chunk (the user closed the tab). */
export async function abandonedStream(
  router: Router,
  model: string,
  ledger: TrafficLedger,
): Promise<void> {
  try {
    for await (const _chunk of router.generateContentStream(
      { model, contents: prompt(0) },
      { hint: 'interactive' },
    )) {
      break;
    }
    ledger.record('abandoned');
  } catch (error) {
    ledger.record('abandoned', error);
  }
}

/**
 * One stream through the router with `x-emulator-fault: slow-first-byte` (by header, so the
 * emulator holds it back wherever it lands, for its `faults.slowFirstByteMs` at arrival), read to
 * the end. Failures are recorded, never thrown.
 */
async function heldBackStream(
  router: Router,
  model: string,
  n: number,
  ledger: TrafficLedger,
): Promise<void> {
  try {
    for await (const _chunk of router.generateContentStream(
      {
        model,
        contents: prompt(n),
        config: { httpOptions: { headers: { 'x-emulator-fault': 'slow-first-byte' } } },
      },
      { hint: 'interactive' },
    )) {
      // Read every chunk.
    }
    ledger.record('hedged');
  } catch (error) {
    ledger.record('hedged', error);
  }
}

/**
 * Two streams the latency lane hedges (no chunk by its hedge delay), one whose hedge loses and
 * one whose hedge wins, through the emulators' hold on `slow-first-byte` calls (`holdMs`, longer
 * than the hedge delay; each call keeps the hold it arrived with):
 * - the first is sent while the emulators hold such calls, and the hold stays on until its
 *   hedge has arrived too: both attempts are held, the first answers first, the hedge loses;
 * - the second is sent while the hold is still on, and the hold drops to 0 as soon as it has
 *   arrived, as when an upstream's slowness passes: its hedge, sent a hedge delay later, is not
 *   held, answers at once and wins; the held attempt is aborted.
 * Switched in-process (`handle.control`), not over HTTP, so the release is as prompt as it can
 * be: it must land before the second stream's hedge, which the lane sends a hedge delay after
 * the stream. Resolves when both streams have been read to the end (about `holdMs` after the
 * start); rejects if an attempt does not reach an emulator within 10 s (refused by the lane, or
 * not hedged).
 */
export async function hedgedStreams(
  router: Router,
  model: string,
  emulators: readonly EmulatorHandle[],
  holdMs: number,
  ledger: TrafficLedger,
): Promise<void> {
  const held = () =>
    emulators.reduce((sum, e) => sum + e.stats().faultsInjected['slow-first-byte'], 0);
  const hold = (slowFirstByteMs: number) => {
    for (const emulator of emulators) emulator.control({ faults: { slowFirstByteMs } });
  };
  const before = held();
  const arrived = (count: number, what: string) =>
    pollUntil(
      async () => held() - before,
      (n) => n >= count,
      {
        timeoutMs: 10_000,
        intervalMs: 10,
        description: `${what} to reach an emulator (${count} held-back calls in all)`,
      },
    );
  const streams: Array<Promise<void>> = [];
  hold(holdMs);
  try {
    streams.push(heldBackStream(router, model, 0, ledger));
    await arrived(2, 'the first held-back stream and its hedge');
    streams.push(heldBackStream(router, model, 1, ledger));
    await arrived(3, 'the second held-back stream');
  } finally {
    hold(0);
    await Promise.all(streams);
  }
}

/** The batch mix: generate calls and embeddings, alternately. */
export type BatchKind = 'batch_generate' | 'embed';

export function batchKind(n: number): BatchKind {
  return n % 2 === 0 ? 'batch_generate' : 'embed';
}

/**
 * One batch call through the router: a generate call hinted `batch` (the throughput lane serves
 * it, with its adaptive concurrency and retries) or an embedding (always the throughput lane,
 * micro-batched with the embeddings in flight). Failures are recorded, never thrown.
 */
export async function batchCall(
  router: Router,
  models: { generate: string; embed: string },
  kind: BatchKind,
  n: number,
  ledger: TrafficLedger,
): Promise<void> {
  try {
    if (kind === 'batch_generate') {
      await router.generateContent(
        { model: models.generate, contents: `Document ${n}: extract the named entities.` },
        { hint: 'batch' },
      );
    } else {
      await router.embedContent({ model: models.embed, contents: `Passage ${n} of the corpus.` });
    }
    ledger.record(kind);
  } catch (error) {
    ledger.record(kind, error);
  }
}

/**
 * A generate call the emulator fails with `fault` (by header) on every attempt, so its lane
 * makes another attempt and then fails it: the latency lane once (a 500 is retried on its other
 * endpoint; a 503 goes to its fallback model), the throughput lane up to `retry.maxAttempts`.
 * Deterministic errors, retries and fallbacks, where the fault spell's rates give random ones.
 */
export async function faultedCall(
  router: Router,
  model: string,
  hint: 'interactive' | 'batch',
  fault: '500' | '503',
  ledger: TrafficLedger,
): Promise<void> {
  try {
    await router.generateContent(
      {
        model,
        contents: prompt(0),
        config: { httpOptions: { headers: { 'x-emulator-fault': fault } } },
      },
      { hint },
    );
    ledger.record(`faulted_${hint}`);
  } catch (error) {
    ledger.record(`faulted_${hint}`, error);
  }
}

/**
 * A deterministic interactive call: `temperature: 0` makes it cacheable by the latency lane's
 * response cache (an unset temperature is Gemini's default 1.0, looked up as `bypass`), and
 * `tenant` scopes its cache entry. Failures are recorded, never thrown.
 */
export async function deterministicCall(
  router: Router,
  model: string,
  kind: 'stream' | 'unary',
  contents: string,
  ledger: TrafficLedger,
  tenant: string,
): Promise<void> {
  const params = { model, contents, config: { temperature: 0 } };
  const options: RouterCallOptions = { hint: 'interactive', tenant };
  const label = `cached_${kind}`;
  try {
    if (kind === 'stream') {
      for await (const _chunk of router.generateContentStream(params, options)) {
        // Read every chunk: a stream is stored only once it completed cleanly.
      }
    } else {
      await router.generateContent(params, options);
    }
    ledger.record(label);
  } catch (error) {
    ledger.record(label, error);
  }
}

/** What one `cacheRound` asks of the latency lane's response cache, by lookup result. */
export interface CacheRoundShape {
  /** Identical concurrent calls per kind: the first misses, the others join it (`coalesced`). */
  concurrent: number;
  /** Identical calls per kind after the first answer was stored: each a `hit`. */
  repeats: number;
  /** Distinct deterministic unary calls (each a `miss`, then stored), to fill the memory store past its bound. */
  fillers: number;
}

export const CACHE_ROUND: CacheRoundShape = { concurrent: 4, repeats: 2, fillers: 32 };

/** Unary fillers started at once: well inside the lane's 16 slots. */
const FILLER_CONCURRENCY = 8;

/**
 * Cache traffic, for one round (each round's prompts are its own, so its first calls miss):
 * for unary calls and for streams, `concurrent` identical calls at once (one miss making the
 * upstream call, the rest coalesced onto it), then `repeats` identical calls one after the
 * other (hits: answered from the store, no upstream call); then `fillers` distinct unary calls
 * whose answers fill the memory store past `lanes.latency.cache.maxBytes`, so the least
 * recently used entries are evicted.
 */
export async function cacheRound(
  router: Router,
  model: string,
  round: number,
  ledger: TrafficLedger,
  shape: CacheRoundShape = CACHE_ROUND,
): Promise<void> {
  const tenant = 'e2e-tenant';
  for (const kind of ['unary', 'stream'] as const) {
    const contents = `Round ${round}, cached ${kind}: name three primary colours.`;
    await Promise.all(
      Array.from({ length: shape.concurrent }, () =>
        deterministicCall(router, model, kind, contents, ledger, tenant),
      ),
    );
    for (let i = 0; i < shape.repeats; i++) {
      await deterministicCall(router, model, kind, contents, ledger, tenant);
    }
  }
  for (let start = 0; start < shape.fillers; start += FILLER_CONCURRENCY) {
    await Promise.all(
      Array.from({ length: Math.min(FILLER_CONCURRENCY, shape.fillers - start) }, (_, i) =>
        deterministicCall(
          router,
          model,
          'unary',
          `Round ${round}, filler ${start + i}: define one term of queueing theory.`,
          ledger,
          tenant,
        ),
      ),
    );
  }
}

/** A small JSONL job input: `lines` generate requests for `model`, ids `<tag>-1`, `<tag>-2`, … */
export async function writeJobInput(
  path: string,
  lines: number,
  model: string,
  tag: string,
): Promise<void> {
  const body = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({
      id: `${tag}-${i + 1}`,
      request: { model, contents: `${tag} document ${i + 1}: extract the named entities.` },
    }),
  );
  await writeFile(path, `${body.join('\n')}\n`);
}

/** How a job ended: its summary and the result lines of its output. */
export interface JobOutcome {
  summary: JobSummary;
  results: Array<{ id: string; line: number; error?: { type: string } }>;
}

/**
 * Runs one JSONL job through the throughput lane (`mode: 'parallel'`: each line through the
 * lane's `generateContent`; `'batch-api'`: the lines as Batch API batches, polled every
 * `pollIntervalMs`) and reads its output back. A job that fails to finish throws.
 */
export async function runLaneJob(
  throughput: ThroughputLane,
  input: string,
  output: string,
  options: Pick<ThroughputRunOptions, 'mode' | 'pollIntervalMs' | 'maxPollIntervalMs'>,
  ledger: TrafficLedger,
): Promise<JobOutcome> {
  const label = `job_${options.mode ?? 'parallel'}`;
  try {
    const summary = await throughput.run(input, { ...options, output, fsync: false }).done;
    const text = await readFile(output, 'utf8');
    const results = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JobOutcome['results'][number]);
    ledger.record(label);
    return { summary, results };
  } catch (error) {
    ledger.record(label, error);
    throw error;
  }
}
