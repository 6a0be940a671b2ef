import { describeUpstreamError } from '@gemini-lanes/core';

/** Connection failures that happen before a request is written: the upstream never saw it. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The request never reached the upstream: its connection was never made. */
export function neverSent(error: unknown): boolean {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

/**
 * The upstream served nothing for a failed attempt, so its quota goes back: a 429 (the API did
 * not count it) or a connection never made.
 */
export function servedNothing(error: unknown): boolean {
  return describeUpstreamError(error).httpStatus === 429 || neverSent(error);
}
