import type { ServerResponse } from 'node:http';
import type { ErrorResponse } from './error-response.js';

/** Writes a JSON answer (no-op when the client has gone). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes `{ error: { code, message } }` with the status, and `Retry-After` when set. */
export function sendError(res: ServerResponse, error: ErrorResponse): void {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(error.retryAfterSeconds);
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}
