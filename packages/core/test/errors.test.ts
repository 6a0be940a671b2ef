import { describe, expect, it } from 'vitest';
import { GeminiLanesError, isGeminiLanesError } from '../src/index.js';

class QueueFullError extends GeminiLanesError {
  readonly depth: number;
  constructor(depth: number) {
    super('ERR_QUEUE_FULL', `queue is full (${depth} waiting)`);
    this.depth = depth;
  }
}

describe('GeminiLanesError', () => {
  it('carries a stable code, the subclass name and the cause', () => {
    const cause = new Error('socket hang up');
    const err = new GeminiLanesError('ERR_UPSTREAM', 'upstream failed', { cause });
    expect(err.code).toBe('ERR_UPSTREAM');
    expect(err.name).toBe('GeminiLanesError');
    expect(err.message).toBe('upstream failed');
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);

    const sub = new QueueFullError(12);
    expect(sub.name).toBe('QueueFullError');
    expect(sub.depth).toBe(12);
    expect(String(sub)).toBe('QueueFullError: queue is full (12 waiting)');
  });

  it('is recognised by isGeminiLanesError, with or without a code, and Node errors are not', () => {
    const err = new QueueFullError(1);
    expect(isGeminiLanesError(err)).toBe(true);
    expect(isGeminiLanesError(err, 'ERR_QUEUE_FULL')).toBe(true);
    expect(isGeminiLanesError(err, 'ERR_OTHER')).toBe(false);

    const nodeError = Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' });
    expect(isGeminiLanesError(nodeError)).toBe(false);
    expect(isGeminiLanesError('ERR_QUEUE_FULL')).toBe(false);
    expect(isGeminiLanesError(null)).toBe(false);
  });

  it('is recognised across copies of the package through the registered brand', () => {
    const foreign = new Error('from another copy') as Error & { code: string };
    foreign.code = 'ERR_X';
    Object.defineProperty(foreign, Symbol.for('gemini-lanes.error'), { value: true });
    expect(isGeminiLanesError(foreign, 'ERR_X')).toBe(true);
  });
});
