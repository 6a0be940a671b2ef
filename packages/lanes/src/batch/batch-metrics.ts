import { ATTR, VALUES } from '@gemini-lanes/core';
import { guard, type Instruments } from '@gemini-lanes/otel';
import { type BatchState, isFinal } from './batch-state.js';

/**
 * `gemini_lanes.batch.jobs` and `gemini_lanes.batch.requests` for one job. The instrumentation
 * of the client sees each `batches.*` call but not a batch's life, so the runner records both:
 * a batch counts in the state it was last seen in (an up-down counter moved from one state to
 * the next), and each request counts once, in the state its batch left it in.
 */
export class BatchMetrics {
  readonly #instruments: Instruments | undefined;
  /** The state each watched batch is counted in. */
  readonly #counted = new Map<string, BatchState>();

  constructor(instruments: Instruments | undefined) {
    this.#instruments = instruments;
    if (instruments === undefined) return;
    // Bounded label sets start at 0, so rates and the stall alert read 0 rather than nothing.
    guard('batch metrics', () => {
      for (const state of VALUES.batchState) {
        instruments.batchJobs.add(0, { [ATTR.batchState]: state });
        instruments.batchRequests.add(0, { [ATTR.batchState]: state });
      }
    });
  }

  /** A batch seen in `state` (the first time, or again). */
  observe(name: string, state: BatchState): void {
    const before = this.#counted.get(name);
    if (before === state) return;
    if (isFinal(state)) this.#counted.delete(name);
    else this.#counted.set(name, state);
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    guard('batch job metric', () => {
      if (before !== undefined) instruments.batchJobs.add(-1, { [ATTR.batchState]: before });
      instruments.batchJobs.add(1, { [ATTR.batchState]: state });
    });
  }

  /**
   * The job stops watching a batch that has not ended (it stopped or failed; the batch runs on
   * at the API and a resume picks it up): it no longer counts as pending or running here.
   */
  forget(name: string): void {
    const before = this.#counted.get(name);
    if (before === undefined) return;
    this.#counted.delete(name);
    const instruments = this.#instruments;
    if (instruments === undefined) return;
    guard('batch job metric', () => instruments.batchJobs.add(-1, { [ATTR.batchState]: before }));
  }

  /** Requests that reached a final state inside batches. */
  requests(state: BatchState, count: number): void {
    const instruments = this.#instruments;
    if (instruments === undefined || count <= 0) return;
    guard('batch request metric', () =>
      instruments.batchRequests.add(count, { [ATTR.batchState]: state }),
    );
  }

  /** Names of the batches counted as pending or running. */
  watching(): string[] {
    return [...this.#counted.keys()];
  }
}
