/** A share as a percentage for descriptions: 0.999 → `99.9%`. */
export function percent(share: number): string {
  return `${Number((share * 100).toPrecision(10))}%`;
}

/** A count for descriptions: 1000000 → `1,000,000`. */
export function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** A computed value without binary floating-point noise: 1 − 0.999 → 0.001. */
export function tidy(value: number): number {
  return Number(value.toPrecision(12));
}
