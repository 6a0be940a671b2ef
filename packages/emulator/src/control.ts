/**
 * What can change while the emulator runs (through `handle.control()` or `POST
 * /emulator/control`): a latency regression, fault rates, the quota (on, off, new limits, usage
 * reset) and the function-calling rounds. A patch is validated whole before any of it applies.
 */
import { type FaultKind, faultRatesOf, quotaLimitsOf, type ResolvedOptions } from './options.js';
import type { QuotaLimits } from './profiles.js';
import type { QuotaTracker } from './quota.js';
import { booleanOf, EmulatorOptionsError, mapOf, numberOf, objectOf } from './validation.js';

/** The run-time state of the emulator's switches. */
export interface ControlState {
  /** Multiplies time to first token, thinking and decode time (1 = no regression). */
  latencyMultiplier: number;
  faults: { rates: Record<FaultKind, number>; slowFirstByteMs: number };
  quota: { enabled: boolean; limits: Record<string, QuotaLimits> };
  functionCalling: { rounds: number };
}

/** A change to the switches; fields left out stay as they are. */
export interface ControlPatch {
  latencyMultiplier?: number;
  faults?: { rates?: Partial<Record<FaultKind, number>>; slowFirstByteMs?: number };
  /** `reset: true` forgets the quota used so far. */
  quota?: { enabled?: boolean; limits?: Record<string, Partial<QuotaLimits>>; reset?: boolean };
  functionCalling?: { rounds?: number };
}

export class RuntimeControl {
  #state: ControlState;
  readonly #quota: QuotaTracker;

  constructor(options: ResolvedOptions, quota: QuotaTracker) {
    this.#quota = quota;
    this.#state = {
      latencyMultiplier: options.latencyMultiplier,
      faults: {
        rates: { ...options.faults.rates },
        slowFirstByteMs: options.faults.slowFirstByteMs,
      },
      quota: { enabled: options.quotaEnabled, limits: structuredClone(options.quota) },
      functionCalling: { rounds: options.functionCalling.rounds },
    };
  }

  get current(): Readonly<ControlState> {
    return this.#state;
  }

  /** A copy of the state, safe to hand out. */
  snapshot(): ControlState {
    return structuredClone(this.#state);
  }

  /** Validates and applies a patch (all of it or, on a bad field, none of it); returns the new state. */
  apply(patch: unknown): ControlState {
    const p = objectOf(patch, 'control', [
      'latencyMultiplier',
      'faults',
      'quota',
      'functionCalling',
    ]);
    const next = structuredClone(this.#state);
    let reset = false;
    if (p.latencyMultiplier !== undefined) {
      next.latencyMultiplier = numberOf(p.latencyMultiplier, 'control.latencyMultiplier', {
        min: 0,
        exclusiveMin: true,
      });
    }
    if (p.faults !== undefined) {
      const f = objectOf(p.faults, 'control.faults', ['rates', 'slowFirstByteMs']);
      if (f.rates !== undefined)
        next.faults.rates = faultRatesOf(f.rates, 'control.faults.rates', next.faults.rates);
      if (f.slowFirstByteMs !== undefined) {
        next.faults.slowFirstByteMs = numberOf(
          f.slowFirstByteMs,
          'control.faults.slowFirstByteMs',
          { min: 0 },
        );
      }
    }
    if (p.quota !== undefined) {
      const q = objectOf(p.quota, 'control.quota', ['enabled', 'limits', 'reset']);
      if (q.enabled !== undefined)
        next.quota.enabled = booleanOf(q.enabled, 'control.quota.enabled');
      if (q.reset !== undefined) reset = booleanOf(q.reset, 'control.quota.reset');
      if (q.limits !== undefined) {
        for (const [model, limits] of Object.entries(mapOf(q.limits, 'control.quota.limits'))) {
          const base = next.quota.limits[model];
          if (base === undefined) {
            throw new EmulatorOptionsError(
              `control.quota.limits.${model}`,
              'names a model the emulator does not serve',
            );
          }
          next.quota.limits[model] = quotaLimitsOf(limits, `control.quota.limits.${model}`, base);
        }
      }
    }
    if (p.functionCalling !== undefined) {
      const fc = objectOf(p.functionCalling, 'control.functionCalling', ['rounds']);
      if (fc.rounds !== undefined) {
        next.functionCalling.rounds = numberOf(fc.rounds, 'control.functionCalling.rounds', {
          min: 0,
          integer: true,
        });
      }
    }
    this.#state = next;
    if (reset) this.#quota.reset();
    return this.snapshot();
  }
}
