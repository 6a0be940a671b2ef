import { type EmulatorHandle, type EmulatorOptions, startEmulator } from '@gemini-lanes/emulator';
import { GoogleGenAI } from '@google/genai';
import { afterEach } from 'vitest';

const running = new Set<EmulatorHandle>();

afterEach(async () => {
  await Promise.all([...running].map((handle) => handle.close()));
  running.clear();
});

/** An emulator on a free port, closed after the test: no latency unless asked. */
export async function emulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const handle = await startEmulator({ profile: 'zero', speed: 1000, quota: false, ...options });
  running.add(handle);
  return handle;
}

export const API_KEY = 'AIzaSy-test-secret-key-0123456789';

/** The real, unmodified client pointed at the emulator. */
export function client(
  handle: EmulatorHandle,
  extra: { timeout?: number; fetch?: typeof fetch } = {},
): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: API_KEY,
    httpOptions: {
      baseUrl: handle.url,
      apiVersion: 'v1beta',
      ...(extra.timeout === undefined ? {} : { timeout: extra.timeout }),
      ...(extra.fetch === undefined ? {} : { fetch: extra.fetch }),
    },
  });
}

/** Polls `probe` until it returns something other than undefined, or fails at the deadline. */
export async function waitFor<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The failure `fn` ends with (the test fails when it succeeds). */
export async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
