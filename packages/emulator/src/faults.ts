/**
 * Which fault, if any, a call gets: the one its `x-emulator-fault` header names, or one drawn
 * from the configured rates with the call's seeded stream (one draw per call, fault or not, so a
 * seed replays the same faults on the same calls).
 */
import { invalidArgument } from './errors.js';
import { FAULT_KINDS, type FaultKind } from './options.js';
import type { Random } from './random.js';

export const FAULT_HEADER = 'x-emulator-fault';

/** The fault a request asks for by header; a value that is not a fault kind is a 400. */
export function faultFromHeader(value: string | string[] | undefined): FaultKind | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const kind = text.trim().toLowerCase();
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw invalidArgument(
      `${FAULT_HEADER} must be one of ${FAULT_KINDS.join(', ')} (got ${JSON.stringify(text)})`,
    );
  }
  return kind as FaultKind;
}

/** A fault drawn from `rates`, or `undefined` for a healthy call. */
export function rollFault(
  rates: Readonly<Record<FaultKind, number>>,
  random: Random,
): FaultKind | undefined {
  const draw = random.next();
  let cumulative = 0;
  for (const kind of FAULT_KINDS) {
    cumulative += rates[kind];
    if (draw < cumulative) return kind;
  }
  return undefined;
}
