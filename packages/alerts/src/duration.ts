/** Milliseconds per Prometheus duration unit, largest first. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];
const MS_PER_UNIT = new Map(UNITS);

/** Milliseconds in a Prometheus duration such as `5m`, `1h30m` or `28d`; throws on anything else. */
export function parseDuration(text: string): number {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) {
    throw new RangeError(
      `not a Prometheus duration: ${JSON.stringify(text)} (expected e.g. 30s, 5m, 1h30m)`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) {
    total += Number(amount) * (MS_PER_UNIT.get(unit ?? '') ?? 0);
  }
  return total;
}

/** The shortest Prometheus duration for `ms` (whole milliseconds), e.g. 5_400_000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1) {
    throw new RangeError(`a Prometheus duration must be at least 1ms (got ${ms} ms)`);
  }
  let rest = Math.round(ms);
  let text = '';
  // Years and weeks are legal but surprising in rule text; days are the largest unit written.
  for (const [unit, size] of UNITS.slice(2)) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

/**
 * `duration` multiplied by `scale`, for test profiles that shrink every window and `for` of the
 * generated rules (scale 0.01 turns `1h` into `36s`). Never shorter than 1 ms.
 */
export function scaleDuration(duration: string, scale: number): string {
  if (!(scale > 0)) throw new RangeError(`scale must be > 0 (got ${scale})`);
  return scale === 1 ? duration : formatDuration(Math.max(1, parseDuration(duration) * scale));
}
