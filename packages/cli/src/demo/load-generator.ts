import { Random } from '@gemini-lanes/emulator';

/** What a kind of client request came to, as the client saw it over HTTP. */
export interface ClientCounts {
  sent: number;
  ok: number;
  /** 503 with Retry-After: the latency lane refused it at admission. */
  refused: number;
  /** 429: quota. */
  rateLimited: number;
  /** Any other HTTP error, an error event in the stream, or a failed connection. */
  failed: number;
  /** Aborted by the demo at the end. */
  cancelled: number;
}

export type ClientKind = 'chat' | 'generate' | 'embed';

export interface LoadStats {
  counts: Record<ClientKind, ClientCounts>;
  /** Time from sending a chat to its first text event, in ms, as the client measured it. */
  chatFirstTextMs: number[];
  bursts: number;
}

export interface LoadOptions {
  serviceUrl: string;
  /** Interactive requests (chat streams and unary calls) per second, Poisson arrivals. */
  ratePerSecond: number;
  seed: number;
  model: string;
  /** Embedding requests are sent when a model is given. */
  embeddingModel: string | undefined;
}

/** Share of interactive arrivals that are unary `/generate` calls (the rest are chat streams). */
const UNARY_SHARE = 0.15;
/** Output bound of the cacheable requests: the same every time, and room for a whole answer. */
const CACHEABLE_MAX_OUTPUT_TOKENS = 2048;

/** Share of chats that repeat a frequently asked question at temperature 0 (cacheable). */
const REPEATED_SHARE = 0.25;
const BURST_EVERY_MS = [20_000, 30_000] as const;
/** The first burst comes sooner, so a short run sees one. */
const FIRST_BURST_MS = [6_000, 10_000] as const;
const BURST_SPREAD_MS = 250;
const FIRST_TEXT_SAMPLES = 200_000;

const FAQ = [
  'How do I rotate my API key?',
  'What is the difference between the latency lane and the throughput lane?',
  'How do I export my invoices as CSV?',
  'Why was my request rejected with 503?',
  'How do I add a teammate to my workspace?',
  'What does the Retry-After header mean?',
  'How do I turn on single sign-on?',
  'Where can I see my usage this month?',
];
const TASKS = [
  'write a polite reply to a customer whose export failed',
  'explain time to first token to a product manager',
  'suggest three names for a status page',
  'summarise why tail latency matters',
  'draft a release note for a billing fix',
  'explain exponential backoff with jitter',
  'list what to check when an API starts returning 429',
  'describe a good on-call handover',
];
const SYSTEM = 'You are a concise support assistant. Answer in a short paragraph.';

const emptyCounts = (): ClientCounts => ({
  sent: 0,
  ok: 0,
  refused: 0,
  rateLimited: 0,
  failed: 0,
  cancelled: 0,
});

/**
 * Drives the service like its users would, over HTTP: Poisson arrivals of chat streams (some
 * repeating a frequent question at temperature 0) and unary calls at `ratePerSecond`, a burst of
 * chats every 20 to 30 s that the latency lane cannot all admit in time, and a trickle of
 * embedding requests. Every schedule comes from the seed.
 */
export class LoadGenerator {
  readonly #options: LoadOptions;
  readonly #random: Random;
  readonly #stats: LoadStats = {
    counts: { chat: emptyCounts(), generate: emptyCounts(), embed: emptyCounts() },
    chatFirstTextMs: [],
    bursts: 0,
  };
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Map<AbortController, Promise<void>>();
  readonly #burstSize: number;
  #nextBurstAt = 0;
  #running = false;

  constructor(options: LoadOptions) {
    this.#options = options;
    this.#random = new Random(options.seed);
    // Enough to overflow the latency lane's queue-wait budget, whatever the steady load.
    this.#burstSize = Math.max(10, Math.round(options.ratePerSecond * 2.5));
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const rate = this.#options.ratePerSecond;
    this.#arrivals(rate, () => this.#interactive());
    if (this.#options.embeddingModel !== undefined) {
      this.#arrivals(Math.max(0.5, rate / 4), () => this.#embed());
    }
    this.#scheduleBurst(FIRST_BURST_MS);
  }

  /** Stops new arrivals, lets requests under way finish for up to `graceMs`, then aborts them. */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.#inFlight.values()),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const controller of this.#inFlight.keys()) controller.abort();
    await Promise.allSettled(this.#inFlight.values());
  }

  stats(): LoadStats {
    return this.#stats;
  }

  /** The load in one line for the view. */
  describe(nowMs: number): string {
    const rate = this.#options.ratePerSecond;
    const embeds = this.#options.embeddingModel === undefined ? '' : ' + embeddings';
    const next = Math.max(0, Math.round((this.#nextBurstAt - nowMs) / 1000));
    return `${rate} req/s${embeds}; a ${this.#burstSize}-chat burst every 20-30 s, next in ${next} s`;
  }

  #later(delayMs: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#running) fn();
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Poisson arrivals: exponential gaps with mean 1/rate. */
  #arrivals(rate: number, send: () => void): void {
    const gap = (-Math.log(1 - this.#random.next()) / rate) * 1000;
    this.#later(gap, () => {
      send();
      this.#arrivals(rate, send);
    });
  }

  #scheduleBurst(range: readonly [number, number] = BURST_EVERY_MS): void {
    const delay = range[0] + this.#random.next() * (range[1] - range[0]);
    this.#nextBurstAt = Date.now() + delay;
    this.#later(delay, () => {
      this.#stats.bursts += 1;
      for (let i = 0; i < this.#burstSize; i++) {
        this.#later(this.#random.next() * BURST_SPREAD_MS, () => this.#chat());
      }
      this.#scheduleBurst();
    });
  }

  #interactive(): void {
    if (this.#random.next() < UNARY_SHARE) this.#generate();
    else this.#chat();
  }

  #pick<T>(items: readonly T[]): T {
    return items[this.#random.int(0, items.length - 1)] as T;
  }

  #chat(): void {
    const repeated = this.#random.next() < REPEATED_SHARE;
    const body = {
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: repeated ? this.#pick(FAQ) : `Please ${this.#pick(TASKS)}.` },
      ],
      model: this.#options.model,
      // A repeated question is asked the same way each time (the cache keys on the whole
      // request), with room for the whole answer: a truncated one is never cached.
      maxOutputTokens: repeated ? CACHEABLE_MAX_OUTPUT_TOKENS : this.#random.int(80, 140),
      temperature: repeated ? 0 : 0.7,
    };
    this.#send('chat', '/chat', body, async (response, sentAt) => {
      const reader = response.body?.getReader();
      if (reader === undefined) return 'failed';
      const decoder = new TextDecoder();
      let text = '';
      let first = true;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (first) {
          first = false;
          if (this.#stats.chatFirstTextMs.length < FIRST_TEXT_SAMPLES) {
            this.#stats.chatFirstTextMs.push(performance.now() - sentAt);
          }
        }
        text += decoder.decode(value, { stream: true });
      }
      return text.includes('event: error') || !text.includes('event: done') ? 'failed' : 'ok';
    });
  }

  #generate(): void {
    const body = {
      prompt: `In one sentence: ${this.#pick(FAQ)}`,
      model: this.#options.model,
      maxOutputTokens: CACHEABLE_MAX_OUTPUT_TOKENS,
      temperature: 0,
    };
    this.#send('generate', '/generate', body, async (response) => {
      await response.arrayBuffer();
      return 'ok';
    });
  }

  #embed(): void {
    const texts = Array.from({ length: this.#random.int(1, 4) }, () => this.#pick(TASKS));
    const body = { texts, model: this.#options.embeddingModel, dimensions: 256 };
    this.#send('embed', '/embed', body, async (response) => {
      await response.arrayBuffer();
      return 'ok';
    });
  }

  #send(
    kind: ClientKind,
    path: string,
    body: unknown,
    read: (response: Response, sentAt: number) => Promise<'ok' | 'failed'>,
  ): void {
    const counts = this.#stats.counts[kind];
    counts.sent += 1;
    const controller = new AbortController();
    const sentAt = performance.now();
    const done = (async () => {
      try {
        const response = await fetch(`${this.#options.serviceUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        if (!response.ok) {
          await response.arrayBuffer().catch(() => undefined);
          if (response.status === 503) counts.refused += 1;
          else if (response.status === 429) counts.rateLimited += 1;
          else counts.failed += 1;
          return;
        }
        counts[await read(response, sentAt)] += 1;
      } catch {
        if (controller.signal.aborted) counts.cancelled += 1;
        else counts.failed += 1;
      } finally {
        this.#inFlight.delete(controller);
      }
    })();
    this.#inFlight.set(controller, done);
  }
}
