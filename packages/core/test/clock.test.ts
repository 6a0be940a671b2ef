import { describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../src/index.js';

describe('clocks', () => {
  it('ManualClock moves only when advanced and refuses to go backwards', () => {
    const clock = new ManualClock(100);
    expect(clock.now()).toBe(100);
    expect(clock.advance(250)).toBe(350);
    expect(clock.now()).toBe(350);
    expect(() => clock.advance(-1)).toThrow('ms must be a finite number >= 0 (got -1)');
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(clock.now()).toBe(350);
  });

  it('systemClock is monotonic', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});
