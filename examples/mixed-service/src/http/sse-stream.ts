import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/**
 * A server-sent events response: `open()` sends the headers, `send()` one event and waits while
 * the socket's buffer is full (a slow reader slows the stream instead of growing memory).
 */
export class SseStream {
  readonly #res: ServerResponse;

  constructor(res: ServerResponse) {
    this.#res = res;
  }

  get open(): boolean {
    return this.#res.headersSent;
  }

  start(): void {
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.#res.flushHeaders();
  }

  /** One event: `event:` when named (unnamed events are `message`), `data:` as JSON. */
  async send(event: string | undefined, data: unknown): Promise<void> {
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return;
    const text = `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
    if (!res.write(text)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  }

  end(): void {
    if (!this.#res.writableEnded) this.#res.end();
  }
}
