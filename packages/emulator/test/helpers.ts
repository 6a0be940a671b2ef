import { ApiError, GoogleGenAI } from '@google/genai';
import { afterEach } from 'vitest';
import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '../src/index.js';

const running = new Set<EmulatorHandle>();

afterEach(async () => {
  await Promise.all([...running].map((h) => h.close()));
  running.clear();
});

/** Starts an emulator on a free port, closed after the test. Fast by default (speed 1000). */
export async function emulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const handle = await startEmulator({ speed: 1000, ...options });
  running.add(handle);
  return handle;
}

/** The real, unmodified client pointed at the emulator. */
export function client(
  handle: EmulatorHandle,
  apiVersion = 'v1beta',
  extra: { apiKey?: string; timeout?: number } = {},
): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: extra.apiKey ?? 'test-key',
    httpOptions: {
      baseUrl: handle.url,
      apiVersion,
      ...(extra.timeout !== undefined ? { timeout: extra.timeout } : {}),
    },
  });
}

export interface ParsedApiError {
  status: number;
  body: {
    error: {
      code: number;
      message: string;
      status: string;
      details?: Array<Record<string, unknown>>;
    };
  };
}

/** Runs `fn`, expects the SDK's ApiError, and returns its status and the JSON body it carries. */
export async function apiError(fn: () => Promise<unknown>): Promise<ParsedApiError> {
  try {
    await fn();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { status: error.status, body: JSON.parse(error.message) };
  }
  throw new Error('expected an ApiError, but the call succeeded');
}

/** Polls `fn` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A raw request with fetch; returns the status, headers and body text. */
export async function raw(
  handle: EmulatorHandle,
  path: string,
  init: { method?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${handle.url}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key', ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
