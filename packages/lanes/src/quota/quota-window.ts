import {
  type AdjustRequest,
  DIMENSIONS,
  type QuotaDimension,
  type TakeRequest,
  type TakeResult,
  type WindowSpec,
} from './quota-store.js';

/**
 * The usage one store key holds: per dimension, slot index → amount recorded in it, and the
 * latest time any operation brought (the key's clock, which never runs backwards).
 */
export interface WindowState {
  latestMs: number;
  slots: [Map<number, number>, Map<number, number>, Map<number, number>];
  /** The same, for the reserved lane's takes only (also counted in `slots`). */
  reserved: [Map<number, number>, Map<number, number>, Map<number, number>];
}

export function emptyWindowState(): WindowState {
  return {
    latestMs: Number.NEGATIVE_INFINITY,
    slots: [new Map(), new Map(), new Map()],
    reserved: [new Map(), new Map(), new Map()],
  };
}

/** Slot `slot` holds amounts taken in [slot × slotMs, (slot + 1) × slotMs); it counts until this time. */
function agesOutAt(spec: WindowSpec, slot: number): number {
  return (slot + 1) * spec.slotMs + spec.windowMs;
}

/** Moves the key's clock to `nowMs` unless it is already later, drops aged-out slots, returns the clock. */
function advance(state: WindowState, windows: TakeRequest['windows'], nowMs: number): number {
  const now = Math.max(state.latestMs, nowMs);
  state.latestMs = now;
  for (let i = 0; i < 3; i++) {
    const spec = windows[i as 0 | 1 | 2];
    for (const slots of [state.slots[i as 0 | 1 | 2], state.reserved[i as 0 | 1 | 2]]) {
      for (const slot of slots.keys()) if (agesOutAt(spec, slot) <= now) slots.delete(slot);
    }
  }
  return now;
}

/** The slot maps a take or correction changes: the window's, and the reserved lane's too for its own. */
function tallies(
  state: WindowState,
  index: 0 | 1 | 2,
  reserved: boolean | undefined,
): Map<number, number>[] {
  return reserved ? [state.slots[index], state.reserved[index]] : [state.slots[index]];
}

function sum(slots: Map<number, number>): number {
  let total = 0;
  for (const amount of slots.values()) total += amount;
  return total;
}

/**
 * How long from `nowMs` until the oldest slots have aged out far enough that `amount` fits
 * under `ceiling` (the caller checked it does not fit now and that `amount ≤ ceiling`).
 */
function waitToFit(
  spec: WindowSpec,
  slots: Map<number, number>,
  used: number,
  amount: number,
  ceiling: number,
  nowMs: number,
): number {
  let remaining = used;
  for (const slot of [...slots.keys()].sort((a, b) => a - b)) {
    remaining -= slots.get(slot) ?? 0;
    if (remaining + amount <= ceiling) return agesOutAt(spec, slot) - nowMs;
  }
  // Unreachable when amount ≤ ceiling: once every slot is gone the window is empty.
  return Number.POSITIVE_INFINITY;
}

/**
 * The sliding-window take both stores implement (the Redis store in Lua): bring the key to
 * `nowMs`, then charge every dimension's current slot, or none if any would rise above its
 * ceiling (lowered, for a take that is not `reserved`, by what the reserve still holds back).
 * Mutates `state`.
 */
export function takeFromWindows(state: WindowState, request: TakeRequest): TakeResult {
  const now = advance(state, request.windows, request.nowMs);
  const used = state.slots.map(sum) as [number, number, number];
  let denied = -1;
  let waitMs = 0;
  for (let i = 0; i < 3; i++) {
    const index = i as 0 | 1 | 2;
    const amount = request.amounts[index];
    const reserve = request.reserved ? 0 : (request.reserve?.[index] ?? 0);
    // Held back for the reserved lane: its reserve, less what it already uses.
    const held = Math.max(0, reserve - sum(state.reserved[index]));
    const ceiling = request.ceilings[index] - held;
    if (!(amount > 0) || used[index] + amount <= ceiling) continue;
    // Never fits when it would not even with the whole reserve held back.
    const wait =
      amount > request.ceilings[index] - reserve
        ? Number.POSITIVE_INFINITY
        : waitToFit(
            request.windows[index],
            state.slots[index],
            used[index],
            amount,
            ceiling,
            request.nowMs,
          );
    if (denied === -1 || wait > waitMs) {
      denied = i;
      waitMs = wait;
    }
  }
  if (denied !== -1) {
    return { ok: false, dimension: DIMENSIONS[denied] as QuotaDimension, waitMs, used };
  }
  for (let i = 0; i < 3; i++) {
    const index = i as 0 | 1 | 2;
    const amount = request.amounts[index];
    if (!(amount > 0)) continue;
    const slot = Math.floor(now / request.windows[index].slotMs);
    for (const slots of tallies(state, index, request.reserved)) {
      slots.set(slot, (slots.get(slot) ?? 0) + amount);
    }
    used[index] += amount;
  }
  return { ok: true, atMs: now, used };
}

/**
 * The correction both stores implement: a negative delta comes out of the slot the take was
 * recorded in while that slot still counts (never below zero), a positive one is charged to the
 * current slot. Mutates `state`.
 */
export function adjustWindows(state: WindowState, request: AdjustRequest): void {
  const now = advance(state, request.windows, request.nowMs);
  for (let i = 0; i < 3; i++) {
    const index = i as 0 | 1 | 2;
    const delta = request.deltas[index];
    const spec = request.windows[index];
    for (const slots of tallies(state, index, request.reserved)) {
      if (delta < 0) {
        const slot = Math.floor(request.takenAtMs / spec.slotMs);
        const held = slots.get(slot);
        if (held === undefined || agesOutAt(spec, slot) <= now) continue;
        if (held + delta > 0) slots.set(slot, held + delta);
        else slots.delete(slot);
      } else if (delta > 0) {
        const slot = Math.floor(now / spec.slotMs);
        slots.set(slot, (slots.get(slot) ?? 0) + delta);
      }
    }
  }
}
