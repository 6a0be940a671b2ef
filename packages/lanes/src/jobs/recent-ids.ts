/**
 * The ids of the last `capacity` input lines, to catch a repeated id without a set of every id
 * (which would grow with the input). Older ids are forgotten first: a ring of the ids in input
 * order names the one to drop, so each claim is O(1) (dropping a Map's oldest key through its
 * iterator is not: V8 walks over the deleted entries before it).
 */
export class RecentIds {
  readonly #lines = new Map<string, number>();
  readonly #ring: Array<string | undefined>;
  #next = 0;

  constructor(capacity: number) {
    this.#ring = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Remembers `id` at `line`; returns the earlier line that used it, if remembered. */
  claim(id: string, line: number): number | undefined {
    if (this.#ring.length === 0) return undefined;
    const earlier = this.#lines.get(id);
    if (earlier !== undefined) return earlier;
    const oldest = this.#ring[this.#next];
    if (oldest !== undefined) this.#lines.delete(oldest);
    this.#ring[this.#next] = id;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#lines.set(id, line);
    return undefined;
  }
}
