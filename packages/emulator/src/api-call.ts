/**
 * One API call in progress: its request, its seeded random stream, the fault it carries, a
 * signal that aborts when the client goes away (or the server closes), and the ways to answer:
 * a JSON body (truncated under `malformed-chunk`), an API error, a connection reset, a stall.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpError } from './errors.js';
import type { FaultKind } from './options.js';
import type { Random } from './random.js';
import type { RouteMatch } from './router.js';

/** One reason for every abort: the default builds a DOMException with a stack, per request. */
const CLIENT_GONE = Object.freeze({ name: 'AbortError', message: 'the response closed' });

export class ApiCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly match: RouteMatch;
  readonly query: URLSearchParams;
  readonly random: Random;
  readonly startedAt = performance.now();
  fault: FaultKind | undefined;
  /** The model the call is about, for metrics labels ('' when none). */
  model = '';
  #controller: AbortController | undefined;
  #closed = false;
  /** Called once when the response closes (answered, reset or abandoned). */
  onClose: (() => void) | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    query: URLSearchParams,
    random: Random,
  ) {
    this.req = req;
    this.res = res;
    this.match = match;
    this.query = query;
    this.random = random;
    res.once('close', () => {
      this.#closed = true;
      this.#controller?.abort(CLIENT_GONE);
      this.onClose?.();
    });
  }

  /** Whether the response has closed: answered, reset, or the client went away. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Aborts when the response closes. Made on first use: most calls never wait, and an
   * AbortController per request is a measurable share of the emulator's own CPU.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#closed) this.#controller.abort(CLIENT_GONE);
    }
    return this.#controller.signal;
  }

  /** A header's value as one string ('' when absent). */
  header(name: string): string {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  }

  /** Whether an answer can still be written. */
  get open(): boolean {
    return !this.res.headersSent && !this.res.destroyed;
  }

  #serverTiming(): string {
    return `gfet4t7; dur=${Math.round(performance.now() - this.startedAt)}`;
  }

  /** A JSON answer. Under `malformed-chunk` a success is cut in half, as a broken proxy would. */
  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (!this.open) return;
    let text = JSON.stringify(body);
    if (this.fault === 'malformed-chunk' && status < 400)
      text = text.slice(0, Math.max(1, text.length >> 1));
    this.res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      'server-timing': this.#serverTiming(),
      ...headers,
    });
    this.res.end(text);
  }

  /** An answer with headers only (upload steps). */
  empty(status: number, headers: Record<string, string>): void {
    if (!this.open) return;
    this.res.writeHead(status, { 'content-length': 0, ...headers });
    this.res.end();
  }

  /** Raw bytes (file download). */
  bytes(status: number, body: Buffer, contentType: string): void {
    if (!this.open) return;
    this.res.writeHead(status, {
      'content-type': contentType,
      'content-length': body.length,
      'server-timing': this.#serverTiming(),
    });
    this.res.end(body);
  }

  /** The API's error body. */
  error(error: HttpError): void {
    this.json(error.httpStatus, error.body, { ...error.headers });
  }

  /**
   * Drops the connection mid-answer, once what was written has left: the client reads it, then
   * sees the stream cut (an RST here would make it discard data still unread).
   */
  cut(): void {
    const socket = this.res.socket;
    if (socket === null) return;
    socket.write('', () => socket.destroy());
  }

  /** Drops the connection without an answer: the `reset` fault. */
  reset(): void {
    const socket = this.res.socket;
    try {
      // An RST, as a dropped connection looks to the client; TLS sockets cannot send one bare.
      socket?.resetAndDestroy();
    } catch {
      socket?.destroy();
    }
    this.res.destroy();
  }

  /** Waits until the client gives up or the server closes: the `stall` fault. */
  stalled(): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) =>
      this.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
}
