/**
 * The emulator's own routes, outside the API and without an API key: `/emulator/control` (GET
 * the switches, POST a patch), `/emulator/stats`, `/metrics` (Prometheus text) and `/healthz`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from '../context.js';
import { HttpError, invalidArgument, methodNotFound } from '../errors.js';
import { type EmulatorStats, renderMetrics } from '../metrics.js';
import { parseJsonBody, readBody } from '../request-body.js';
import { EmulatorOptionsError } from '../validation.js';

function send(res: ServerResponse, status: number, body: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=UTF-8');
}

/** Serves an emulator route; returns false when `path` is not one. */
export async function handleEmulatorRoute(
  ctx: EmulatorContext,
  stats: () => EmulatorStats,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  try {
    if (path === '/healthz' && method === 'GET') {
      send(res, 200, 'ok\n', 'text/plain; charset=utf-8');
    } else if (path === '/metrics' && method === 'GET') {
      send(
        res,
        200,
        renderMetrics(ctx.metrics, stats()),
        'text/plain; version=0.0.4; charset=utf-8',
      );
    } else if (path === '/emulator/stats' && method === 'GET') {
      sendJson(res, 200, stats());
    } else if (path === '/emulator/control' && method === 'GET') {
      sendJson(res, 200, ctx.control.snapshot());
    } else if (path === '/emulator/control' && method === 'POST') {
      const body = parseJsonBody(await readBody(req, 1024 * 1024));
      sendJson(res, 200, ctx.control.apply(body));
    } else if (path.startsWith('/emulator/') || path === '/metrics' || path === '/healthz') {
      throw methodNotFound();
    } else {
      return false;
    }
  } catch (error) {
    const answer =
      error instanceof EmulatorOptionsError
        ? invalidArgument(error.message)
        : error instanceof HttpError
          ? error
          : undefined;
    if (answer === undefined) throw error;
    sendJson(res, answer.httpStatus, answer.body);
  }
  return true;
}
