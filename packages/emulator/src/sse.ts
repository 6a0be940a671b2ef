/**
 * Writing a streamed answer: Server-Sent Events (`data: {json}\r\n\r\n`, what `alt=sse` asks
 * for and the SDK reads), or, without `alt=sse`, the JSON array the API streams otherwise.
 */
import type { ServerResponse } from 'node:http';

/** A chunk cut off mid-JSON, as a broken proxy or a truncated write delivers it. */
const MALFORMED = '{"candidates": [{"content": {"parts": [{"text": "tru';

export class StreamWriter {
  readonly #res: ServerResponse;
  readonly #sse: boolean;
  #count = 0;

  constructor(res: ServerResponse, sse: boolean) {
    this.#res = res;
    this.#sse = sse;
  }

  get started(): boolean {
    return this.#res.headersSent;
  }

  /** Sends the status line and headers now, so the client sees the stream open. */
  start(headers: Record<string, string> = {}): void {
    if (this.#res.headersSent || this.#res.destroyed) return;
    this.#res.writeHead(200, {
      'content-type': this.#sse ? 'text/event-stream' : 'application/json; charset=UTF-8',
      'cache-control': 'no-cache',
      ...headers,
    });
    this.#res.flushHeaders();
  }

  /** One chunk. */
  write(body: unknown): void {
    this.#raw(JSON.stringify(body));
  }

  /** A chunk that is not valid JSON: the `malformed-chunk` fault. */
  writeMalformed(): void {
    this.#raw(MALFORMED);
  }

  #raw(json: string): void {
    if (this.#res.destroyed) return;
    this.start();
    if (this.#sse) this.#res.write(`data: ${json}\r\n\r\n`);
    else this.#res.write(`${this.#count === 0 ? '[' : ',\r\n'}${json}`);
    this.#count++;
  }

  end(): void {
    if (this.#res.destroyed) return;
    this.start();
    this.#res.end(this.#sse ? undefined : this.#count === 0 ? '[]' : ']');
  }
}
