import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { guard } from '../src/index.js';

function captureDiag(): Array<{ message: string; args: unknown[] }> {
  const seen: Array<{ message: string; args: unknown[] }> = [];
  const record = (message: string, ...args: unknown[]) => seen.push({ message, args });
  const logger: DiagLogger = {
    error: record,
    warn: record,
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return seen;
}

describe('guard', () => {
  let seen: Array<{ message: string; args: unknown[] }>;
  beforeEach(() => {
    seen = captureDiag();
  });
  afterEach(() => {
    diag.disable();
  });

  it('returns the result of a function that works and reports nothing', () => {
    expect(guard('responseHook', () => 42)).toBe(42);
    expect(seen).toEqual([]);
  });

  it('swallows a throw and reports it through diag with what failed', () => {
    const boom = new Error('hook bug');
    expect(
      guard('requestHook', () => {
        throw boom;
      }),
    ).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.message).toBe(
      '@gemini-lanes/otel: requestHook failed; the observed call is unaffected',
    );
    expect(seen[0]?.args[0]).toBe(boom);
  });

  it('reports a rejected promise from an async hook instead of leaving it unhandled', async () => {
    const rejection = new Error('async hook bug');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      guard('responseHook', async () => {
        throw rejection;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(seen.map((s) => s.args[0])).toEqual([rejection]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
