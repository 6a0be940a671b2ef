import type { ServerResponse } from 'node:http';

/** The events `POST /chat` sends, in order: `chunk`s, then one `done` or one `error`. */
export type ChatEvent =
  | { event: 'chunk'; data: { text: string } }
  | {
      event: 'done';
      data: { model: string; finishReason: string | undefined; usage: UsageSummary | undefined };
    }
  | { event: 'error'; data: { error: string; type: string } };

export interface UsageSummary {
  promptTokens: number;
  outputTokens: number;
  thinkingTokens: number;
}

/** Starts a Server-Sent Events response: headers out at once, nothing buffered by proxies. */
export function openEventStream(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
}

/**
 * Writes one event. JSON never contains a raw newline, so one `data:` line carries it whole.
 * Returns false when the socket's buffer is full (the caller may wait for `drain`).
 */
export function writeEvent(res: ServerResponse, { event, data }: ChatEvent): boolean {
  return res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
