/**
 * What every route works with: the options, the emulated clock, the run-time switches, the
 * quota, the counters, the models and the stores. Types only, so routes and the server do not
 * import each other.
 */
import type { BatchStore } from './batches.js';
import type { ScaledClock } from './clock.js';
import type { RuntimeControl } from './control.js';
import type { FileStore } from './files.js';
import type { GenerationSlots } from './generation-slots.js';
import type { LatencyModel } from './latency-model.js';
import type { EmulatorMetrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { ModelProfile } from './profiles.js';
import type { QuotaTracker } from './quota.js';

/** One served model and its live state. */
export interface ModelRuntime {
  readonly name: string;
  readonly profile: ModelProfile;
  readonly latency: LatencyModel;
  readonly slots: GenerationSlots;
  /** Generations under way on this model. */
  inFlight: number;
}

export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly clock: ScaledClock;
  readonly control: RuntimeControl;
  readonly quota: QuotaTracker;
  readonly metrics: EmulatorMetrics;
  readonly models: ReadonlyMap<string, ModelRuntime>;
  readonly files: FileStore;
  readonly batches: BatchStore;
  /** Where clients reach the emulator, without a trailing slash (known once it listens). */
  baseUrl(): string;
}
