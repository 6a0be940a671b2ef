import {
  LaneOverloadedError,
  QueueTimeoutError,
  QuotaExhaustedError,
  RequestTimeoutError,
} from '@gemini-lanes/core';
import { errorTypeOf } from '@gemini-lanes/otel';
import { ApiError } from '@google/genai';
import { describe, expect, it } from 'vitest';

const apiError = (status: number, body: unknown) =>
  new ApiError({ message: typeof body === 'string' ? body : JSON.stringify(body), status });

describe('errorTypeOf', () => {
  it('takes the API status string from the ApiError JSON body', () => {
    expect(
      errorTypeOf(
        apiError(429, { error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }),
      ),
    ).toBe('RESOURCE_EXHAUSTED');
    expect(errorTypeOf(apiError(503, { error: { code: 503, status: 'UNAVAILABLE' } }))).toBe(
      'UNAVAILABLE',
    );
  });

  it('reads an error chunk inside a stream (`got status: …. {json}`)', () => {
    const message = `got status: UNAVAILABLE. ${JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE' } })}`;
    expect(errorTypeOf(apiError(503, message))).toBe('UNAVAILABLE');
  });

  it('falls back to the HTTP status when the body has no status string', () => {
    expect(errorTypeOf(apiError(502, '<html>Bad gateway</html>'))).toBe('502');
    expect(
      errorTypeOf(apiError(500, { error: { code: 500, status: 'free text, not a status' } })),
    ).toBe('500');
  });

  it('gives the errorType of gemini-lanes request errors', () => {
    expect(errorTypeOf(new QueueTimeoutError(150, 100, 3))).toBe('queue_timeout');
    expect(errorTypeOf(new LaneOverloadedError('queue_full', 256))).toBe('lane_overloaded');
    expect(errorTypeOf(new RequestTimeoutError(1000))).toBe('timeout');
    expect(errorTypeOf(new QuotaExhaustedError('gemini-2.5-flash', 'rpm'))).toBe('quota_exhausted');
  });

  it('cancelled for an abort, timeout for a TimeoutError, _OTHER for the rest', () => {
    expect(errorTypeOf(new DOMException('aborted', 'AbortError'))).toBe('cancelled');
    expect(
      errorTypeOf(new TypeError('terminated', { cause: new DOMException('x', 'AbortError') })),
    ).toBe('cancelled');
    expect(errorTypeOf(new DOMException('timed out', 'TimeoutError'))).toBe('timeout');
    expect(errorTypeOf(new TypeError('fetch failed'))).toBe('_OTHER');
    expect(errorTypeOf(new SyntaxError('Unexpected token'))).toBe('_OTHER');
    expect(errorTypeOf('a string')).toBe('_OTHER');
    expect(errorTypeOf(undefined)).toBe('_OTHER');
  });
});
