/**
 * A seeded linear congruential generator in (0, 1): arrival times, shuffles and interleavings
 * replay the same in every run of a benchmark, so two runs differ only by the machine.
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 0x1_0000_0000;
  };
}
