/**
 * A string as a PromQL double-quoted string literal body: backslash, double quote and line
 * breaks escaped, so a label value can never end its matcher early.
 */
export function promqlString(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

/**
 * A number as PromQL reads it, without binary floating-point noise: `1 - 0.99` is written
 * `0.01`, not `0.010000000000000009`.
 */
export function promqlNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return String(Number(value.toPrecision(12)));
}

/** A regular expression matching exactly one of `values` (RE2, inside a PromQL string). */
export function promqlAlternation(values: readonly string[]): string {
  return values.map((v) => promqlString(v.replace(/[.+*?^$()[\]{}|\\]/g, '\\$&'))).join('|');
}
