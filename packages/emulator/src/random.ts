/**
 * Seeded randomness for the emulator, so a run with the same seed serves the same latencies,
 * token counts and faults. sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) passes
 * PractRand and is four 32-bit adds and shifts per draw; splitmix32 spreads a small seed over
 * its 128-bit state.
 */
export class Random {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | undefined;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Random: seed must be a safe integer (got ${seed})`);
    }
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next();
    for (let i = 0; i < 12; i++) this.#next32();
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#next32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.#spareNormal !== undefined) {
      const spare = this.#spareNormal;
      this.#spareNormal = undefined;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A new generator whose stream is independent of this one's next draws; for per-request streams. */
  fork(): Random {
    return new Random(this.#next32());
  }

  #next32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }
}

/** z-score of the 95th percentile of the standard normal distribution. */
const Z95 = 1.6448536269514722;

/**
 * A log-normal distribution given the way latencies are usually quoted: by median and p95.
 * Time to first token and decode rates are right-skewed and positive, which log-normal captures.
 */
export class LogNormal {
  readonly median: number;
  readonly p95: number;
  readonly #mu: number;
  readonly #sigma: number;

  constructor(median: number, p95: number) {
    if (!(Number.isFinite(median) && median > 0)) {
      throw new RangeError(`LogNormal: median must be a finite number > 0 (got ${median})`);
    }
    if (!(Number.isFinite(p95) && p95 >= median)) {
      throw new RangeError(`LogNormal: p95 must be >= median (got p95 ${p95}, median ${median})`);
    }
    this.median = median;
    this.p95 = p95;
    this.#mu = Math.log(median);
    this.#sigma = Math.log(p95 / median) / Z95;
  }

  sample(random: Random): number {
    return Math.exp(this.#mu + this.#sigma * random.normal());
  }
}

/**
 * A 32-bit seed from text (FNV-1a), so values derived from content (an embedding's vector) are
 * the same for the same text in every run.
 */
export function seedFromString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** An id drawn from `random`, by default shaped like the API's `responseId` (23 URL-safe characters). */
export function randomId(random: Random, length = 23, alphabet = ID_ALPHABET): string {
  let id = '';
  for (let i = 0; i < length; i++) id += alphabet.charAt(random.int(0, alphabet.length - 1));
  return id;
}
