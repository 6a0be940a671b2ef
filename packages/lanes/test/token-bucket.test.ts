import { ManualClock } from '@gemini-lanes/core';
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/index.js';

describe('TokenBucket', () => {
  it('allows a burst up to capacity, then refills continuously at the configured rate', () => {
    const clock = new ManualClock();
    const rpm = new TokenBucket({ capacity: 60, refillPerSecond: 1, clock });
    let taken = 0;
    while (rpm.tryTake(1)) taken++;
    expect(taken).toBe(60);
    expect(rpm.msUntil(1)).toBe(1000);
    clock.advance(500);
    expect(rpm.tryTake(1)).toBe(false);
    clock.advance(500);
    expect(rpm.tryTake(1)).toBe(true);
    clock.advance(3_600_000);
    expect(rpm.available()).toBe(60); // never above capacity
  });

  it('never takes partially and says when a request can never fit', () => {
    const clock = new ManualClock();
    const tpm = new TokenBucket({ capacity: 1000, refillPerSecond: 100, initial: 300, clock });
    expect(tpm.tryTake(400)).toBe(false);
    expect(tpm.available()).toBe(300);
    expect(tpm.msUntil(400)).toBe(1000);
    expect(tpm.msUntil(1001)).toBe(Number.POSITIVE_INFINITY);
  });

  it('corrects an estimate by actual usage, into debt when usage was higher', () => {
    const clock = new ManualClock();
    const tpm = new TokenBucket({ capacity: 1000, refillPerSecond: 100, clock });
    expect(tpm.tryTake(1000)).toBe(true); // estimated 1000 input tokens
    tpm.adjust(-500); // the response said 1500 were used
    expect(tpm.available()).toBe(-500);
    expect(tpm.msUntil(100)).toBe(6000);
    tpm.adjust(10_000); // a refund never lifts it above capacity
    expect(tpm.available()).toBe(1000);
  });

  it('rejects nonsensical options with a message naming the field', () => {
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 })).toThrow(
      'capacity must be a finite number > 0 (got 0)',
    );
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: -1 })).toThrow('refillPerSecond');
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 1, initial: 2 })).toThrow(
      'initial must be in [0, capacity] (got 2)',
    );
  });
});
