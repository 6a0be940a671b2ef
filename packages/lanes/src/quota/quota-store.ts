/** The three quota dimensions, in the order every store keeps them. */
export const DIMENSIONS = ['rpm', 'input_tpm', 'rpd'] as const;
export type QuotaDimension = (typeof DIMENSIONS)[number];

/**
 * How one dimension of a model's quota is counted: over a rolling `windowMs`, in slots of
 * `slotMs` (`windowMs` a whole multiple of it). An amount is recorded in the slot its take fell
 * in and counts until that whole slot has aged out of the window, up to one slot longer than the
 * upstream counts it: conservative, never generous.
 */
export interface WindowSpec {
  windowMs: number;
  slotMs: number;
}

/** What one take asks of each dimension, and how full it may leave each window. */
export interface TakeRequest {
  /** Store key, one per model. */
  key: string;
  windows: readonly [WindowSpec, WindowSpec, WindowSpec];
  /** Whole amounts: one request, its input tokens, one request. */
  amounts: readonly [number, number, number];
  /** The most each window may hold with this take in it: the quota. */
  ceilings: readonly [number, number, number];
  /**
   * What each window holds back for the reserved lane (the latency lane's share), less what
   * that lane already uses in it: a take that is not `reserved` may fill the window only to
   * `ceiling − max(0, reserve − reserved use)`. So the throughput lane gets the quota less
   * the larger of the reserve and the latency lane's actual use, never less both. Default 0.
   */
  reserve?: readonly [number, number, number] | undefined;
  /** A take by the reserved lane: it counts in the reserved use as well as in the window. */
  reserved?: boolean | undefined;
  /** Wall-clock milliseconds (replicas sharing a Redis store must agree on it). */
  nowMs: number;
}

export type TakeResult =
  | {
      ok: true;
      /** The time the take was recorded at (the store's clock never runs backwards); keep it to refund. */
      atMs: number;
      /** What each window holds now, this take included. */
      used: [number, number, number];
    }
  | {
      ok: false;
      /** The dimension that said no (the one with the longest wait). */
      dimension: QuotaDimension;
      /**
       * Milliseconds from `nowMs` until enough old slots have aged out for the take to fit if
       * nothing else takes meanwhile; `Infinity` if an amount exceeds its ceiling.
       */
      waitMs: number;
      /** What each window holds now; nothing was taken. */
      used: [number, number, number];
    };

/** A correction of usage after a take (`settle` or `refund` of a permit). */
export interface AdjustRequest {
  key: string;
  windows: readonly [WindowSpec, WindowSpec, WindowSpec];
  /**
   * Per dimension: < 0 removes usage from the slot the take was recorded in, if that slot is
   * still in the window (otherwise it has aged out already and nothing changes); > 0 charges the
   * current slot (a late charge). A slot never goes below zero.
   */
  deltas: readonly [number, number, number];
  /** `atMs` of the take being corrected. */
  takenAtMs: number;
  nowMs: number;
  /** The take being corrected was `reserved`: its reserved use is corrected too. */
  reserved?: boolean | undefined;
}

/**
 * Where per-slot usage lives. Every operation first moves the store's clock to `nowMs` (never
 * backwards) and drops slots that have aged out, so memory stays bounded; a take is atomic:
 * either every dimension fits under its ceiling and is charged, or none is touched. The memory
 * store serves one process; the Redis store serves every replica sharing the project's quota.
 */
export interface QuotaStore {
  take(request: TakeRequest): Promise<TakeResult>;
  adjust(request: AdjustRequest): Promise<void>;
  close?(): Promise<void>;
}
