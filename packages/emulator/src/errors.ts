/**
 * The Gemini API's error bodies, as the real service sends them: `{"error":{"code","message",
 * "status","details"?}}` with the HTTP status in `code` and the canonical gRPC status name in
 * `status`. The SDK copies this JSON into `ApiError.message`, so clients parse exactly this.
 */

export interface ApiErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: unknown[];
  };
}

/** A response the emulator answers with instead of a result: an HTTP status and the API's error body. */
export class HttpError extends Error {
  readonly httpStatus: number;
  readonly body: ApiErrorBody;
  /** Extra response headers, such as `connection: close` after a body that was not read. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    httpStatus: number,
    status: string,
    message: string,
    details?: unknown[],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.httpStatus = httpStatus;
    this.body = {
      error: { code: httpStatus, message, status, ...(details ? { details } : {}) },
    };
    this.headers = headers;
  }
}

/** 400 INVALID_ARGUMENT, the answer to any malformed request. */
export function invalidArgument(message: string, details?: unknown[]): HttpError {
  return new HttpError(400, 'INVALID_ARGUMENT', message, details);
}

/** 400 for a body that is not JSON, worded as the API words it. */
export function invalidJson(reason: string): HttpError {
  return invalidArgument(`Invalid JSON payload received. ${reason}`);
}

/** 400 for a body larger than the server accepts. */
export function payloadTooLarge(limitBytes: number): HttpError {
  return invalidArgument(`Request payload size exceeds the limit: ${limitBytes} bytes.`);
}

/** 403 for a call without an API key. */
export function missingApiKey(): HttpError {
  return new HttpError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

/** 400 for a key the emulator was told not to accept. */
export function invalidApiKey(): HttpError {
  return invalidArgument('API key not valid. Please pass a valid API key.', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
      domain: 'googleapis.com',
      metadata: { service: 'generativelanguage.googleapis.com' },
    },
  ]);
}

/** 404 for a model the emulator does not serve, or one that does not support the method. */
export function modelNotFound(model: string, version: string, method: string): HttpError {
  return new HttpError(
    404,
    'NOT_FOUND',
    `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

/** 404 for a path or method the API does not have. */
export function methodNotFound(): HttpError {
  return new HttpError(404, 'NOT_FOUND', 'Method not found.');
}

/** 404 for a resource (batch) that does not exist. */
export function notFound(message: string): HttpError {
  return new HttpError(404, 'NOT_FOUND', message);
}

/** The Files API answers a missing file with 403, not 404, so a name cannot be probed. */
export function fileNotAccessible(id: string): HttpError {
  return new HttpError(
    403,
    'PERMISSION_DENIED',
    `You do not have permission to access the File ${id} or it may not exist.`,
  );
}

/** 400 FAILED_PRECONDITION. */
export function failedPrecondition(message: string): HttpError {
  return new HttpError(400, 'FAILED_PRECONDITION', message);
}

/** An injected (or overload) 500. */
export function internalError(): HttpError {
  return new HttpError(
    500,
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  );
}

/** An injected 503, and the answer when a model's generation queue is full. */
export function unavailable(): HttpError {
  return new HttpError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.');
}

/** One exceeded limit, in the shape of a `google.rpc.QuotaFailure` violation. */
export interface QuotaViolation {
  quotaMetric: string;
  quotaId: string;
  quotaDimensions: { location: string; model: string };
  quotaValue: string;
}

/** Formats a wait as a protobuf `Duration` in JSON ("41s", "0.601s"), never shorter than the wait. */
export function formatDuration(ms: number): string {
  const wholeMs = Math.max(0, Math.ceil(ms));
  const seconds = Math.floor(wholeMs / 1000);
  const rest = wholeMs % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}

/**
 * 429 RESOURCE_EXHAUSTED as the API sends it: a message listing the exceeded metrics, a
 * `QuotaFailure`, a `Help` link and, when waiting can help, a `RetryInfo`. `retryAfterMs` is the
 * wall-clock wait after which the same request is admitted (when nothing else uses the quota);
 * `null` when no wait helps (a single request larger than the per-minute token limit).
 */
export function resourceExhausted(
  violations: readonly QuotaViolation[],
  retryAfterMs: number | null,
): HttpError {
  const lines = violations.map(
    (v) =>
      `* Quota exceeded for metric: ${v.quotaMetric}, limit: ${v.quotaValue}, model: ${v.quotaDimensions.model}`,
  );
  const delay = retryAfterMs === null ? undefined : formatDuration(retryAfterMs);
  const message = [
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. ',
    ...lines,
    ...(delay ? [`Please retry in ${delay}.`] : []),
  ].join('\n');
  const details: unknown[] = [
    { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        {
          description: 'Learn more about Gemini API quotas',
          url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
        },
      ],
    },
  ];
  if (delay)
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay });
  return new HttpError(429, 'RESOURCE_EXHAUSTED', message, details);
}

/** The gRPC code numbers used inside `google.rpc.Status` values (batch items, failed operations). */
export const RpcCode = {
  invalidArgument: 3,
  notFound: 5,
  resourceExhausted: 8,
  internal: 13,
  unavailable: 14,
} as const;
