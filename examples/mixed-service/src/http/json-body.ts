import type { IncomingMessage } from 'node:http';
import { badRequest, HttpError } from './http-error.js';

/**
 * The request's JSON object body, read up to `limitBytes` (413 beyond it, without buffering the
 * rest), 400 when it is not a JSON object. The content type is not checked, so `curl -d` works.
 */
export async function readJsonObject(
  req: IncomingMessage,
  limitBytes: number,
): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new HttpError(413, 'payload_too_large', `the body is limited to ${limitBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) {
      throw new HttpError(413, 'payload_too_large', `the body is limited to ${limitBytes} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw badRequest('send a JSON object body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not JSON (${error instanceof Error ? error.message : error})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('the body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
