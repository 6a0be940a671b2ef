/**
 * Reading request bodies with a size limit, and parsing JSON ones with the API's error for
 * anything that is not JSON. A body over the limit is refused as soon as its declared length
 * (or the bytes so far) exceed it; the connection is then closed rather than drained.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError, invalidJson, payloadTooLarge } from './errors.js';

/** An over-limit body: answered with 400 and `Connection: close`, since the rest is not read. */
function tooLarge(limit: number): HttpError {
  const error = payloadTooLarge(limit);
  return new HttpError(
    error.httpStatus,
    error.body.error.status,
    error.body.error.message,
    undefined,
    {
      connection: 'close',
    },
  );
}

/** The whole body, or a 400 when it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(
        chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error('request closed before its body was read'));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Parses a JSON body; an empty body is `{}` (the SDK sends none on some calls). */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'Unexpected token.';
    throw invalidJson(`Unexpected token. (${reason})`);
  }
}
