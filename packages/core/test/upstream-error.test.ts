import { describe, expect, it } from 'vitest';
import {
  describeUpstreamError,
  parseDurationMs,
  QueueTimeoutError,
  RequestTimeoutError,
} from '../src/index.js';

/** An error shaped like @google/genai's ApiError: the whole JSON body in `message`. */
function apiError(status: number, body: unknown): Error & { status: number } {
  return Object.assign(new Error(JSON.stringify(body)), { name: 'ApiError', status });
}

const quota429 = apiError(429, {
  error: {
    code: 429,
    status: 'RESOURCE_EXHAUSTED',
    message: 'You exceeded your current quota. Please retry in 20.5s.',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [{ quotaMetric: 'x' }],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20.500s' },
    ],
  },
});

describe('describeUpstreamError', () => {
  it('reads the status and RetryInfo of a 429 out of ApiError.message', () => {
    expect(describeUpstreamError(quota429)).toEqual({
      errorType: 'RESOURCE_EXHAUSTED',
      httpStatus: 429,
      status: 'RESOURCE_EXHAUSTED',
      retryDelayMs: 20_500,
      retryReason: 'rate_limited',
    });
  });

  it('retries server errors but never 400, 403 or 404', () => {
    expect(
      describeUpstreamError(apiError(503, { error: { code: 503, status: 'UNAVAILABLE' } })),
    ).toMatchObject({
      errorType: 'UNAVAILABLE',
      retryReason: 'server_error',
    });
    for (const [status, name] of [
      [400, 'INVALID_ARGUMENT'],
      [403, 'PERMISSION_DENIED'],
      [404, 'NOT_FOUND'],
    ] as const) {
      expect(describeUpstreamError(apiError(status, { error: { status: name } }))).toMatchObject({
        errorType: name,
        retryReason: undefined,
      });
    }
  });

  it('falls back to the HTTP status when the body is not JSON or the status is not a known code', () => {
    expect(
      describeUpstreamError(Object.assign(new Error('<html>Bad Gateway</html>'), { status: 502 })),
    ).toMatchObject({
      errorType: '502',
      status: undefined,
      retryReason: 'server_error',
    });
    expect(
      describeUpstreamError(apiError(500, { error: { status: 'A Free Text Status' } })).errorType,
    ).toBe('500');
  });

  it('classifies undici resets and timeouts from cause.code, and aborts as cancelled', () => {
    const reset = new TypeError('fetch failed', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(describeUpstreamError(reset)).toMatchObject({
      errorType: 'connection_error',
      retryReason: 'connection_error',
    });
    const headers = new TypeError('fetch failed', { cause: { code: 'UND_ERR_HEADERS_TIMEOUT' } });
    expect(describeUpstreamError(headers)).toMatchObject({
      errorType: 'timeout',
      retryReason: 'timeout',
    });
    expect(describeUpstreamError(new DOMException('deadline', 'TimeoutError'))).toMatchObject({
      errorType: 'timeout',
      retryReason: 'timeout',
    });
    const abortedBody = new TypeError('terminated', {
      cause: new DOMException('aborted', 'AbortError'),
    });
    expect(describeUpstreamError(abortedBody)).toMatchObject({
      errorType: 'cancelled',
      retryReason: undefined,
    });
    expect(describeUpstreamError(new DOMException('aborted', 'AbortError'))).toMatchObject({
      errorType: 'cancelled',
      retryReason: undefined,
    });
  });

  it("uses a lane error's own type", () => {
    expect(describeUpstreamError(new QueueTimeoutError(100, 100, 3))).toMatchObject({
      errorType: 'queue_timeout',
      retryReason: undefined,
    });
    expect(describeUpstreamError(new RequestTimeoutError(5000))).toMatchObject({
      errorType: 'timeout',
      retryReason: 'timeout',
    });
  });

  it('never puts free text in errorType', () => {
    expect(describeUpstreamError(new Error('key=AIzaSECRET leaked?')).errorType).toBe('_OTHER');
    expect(describeUpstreamError('a string').errorType).toBe('_OTHER');
    expect(describeUpstreamError(null).errorType).toBe('_OTHER');
  });
});

describe('parseDurationMs', () => {
  it('parses protobuf durations and refuses anything else', () => {
    expect(parseDurationMs('20s')).toBe(20_000);
    expect(parseDurationMs('0.250s')).toBe(250);
    expect(parseDurationMs('20')).toBeUndefined();
    expect(parseDurationMs(20)).toBeUndefined();
  });
});
