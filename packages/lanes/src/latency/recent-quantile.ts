/**
 * A quantile of the most recent samples (a ring of `capacity`), for the hedge delay: "the
 * observed p95 of time to first chunk". The sorted copy is rebuilt at most every
 * `refreshEvery` new samples, so reading it on every request costs a lookup, not a sort.
 */
export class RecentQuantile {
  readonly #ring: Float64Array;
  readonly #refreshEvery: number;
  #next = 0;
  #count = 0;
  #sinceSort = 0;
  #sorted: Float64Array | undefined;

  constructor(capacity = 512, refreshEvery = 16) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`RecentQuantile: capacity must be an integer > 0 (got ${capacity})`);
    }
    if (!(Number.isInteger(refreshEvery) && refreshEvery > 0)) {
      throw new RangeError(
        `RecentQuantile: refreshEvery must be an integer > 0 (got ${refreshEvery})`,
      );
    }
    this.#ring = new Float64Array(capacity);
    this.#refreshEvery = refreshEvery;
  }

  /** Samples held (at most the capacity). */
  get count(): number {
    return this.#count;
  }

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.#ring[this.#next] = value;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#count < this.#ring.length) this.#count++;
    this.#sinceSort++;
  }

  /** The `q` quantile (nearest rank) of the samples held, or undefined below `minSamples`. */
  quantile(q: number, minSamples = 1): number | undefined {
    if (!(q > 0 && q <= 1)) throw new RangeError(`RecentQuantile: q must be in (0, 1] (got ${q})`);
    const least = Math.max(1, minSamples);
    if (this.#count < least) return undefined;
    // A copy sorted before `minSamples` were held would answer from fewer than asked for.
    if (
      this.#sorted === undefined ||
      this.#sinceSort >= this.#refreshEvery ||
      this.#sorted.length < least
    ) {
      this.#sorted = this.#ring.slice(0, this.#count).sort();
      this.#sinceSort = 0;
    }
    const sorted = this.#sorted;
    // q × n can land a rounding error above a whole rank (0.55 × 100 = 55.00000000000001),
    // which `ceil` would turn into the next rank: shave a margin far below any real fraction.
    const rank = Math.ceil(q * sorted.length - 1e-9);
    return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
  }
}
