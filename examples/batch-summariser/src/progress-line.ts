import type { JobProgress } from '@gemini-lanes/lanes';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Estimates the time left from the pace of this run: documents finished per millisecond since
 * `start` (the first progress of the run). Undefined until one has finished.
 */
export function etaMs(
  progress: { done: number; total: number },
  start: { done: number; at: number },
  now: number,
): number | undefined {
  const finished = progress.done - start.done;
  if (finished <= 0 || now <= start.at) return undefined;
  return ((progress.total - progress.done) * (now - start.at)) / finished;
}

/** One line of progress: `summarised 120/200 (3 failed) · 12 in flight · 1,234 tok/s · $0.0012 · ETA 4s`. */
export function progressLine(progress: JobProgress & { total: number }, eta?: number): string {
  const parts = [
    `summarised ${progress.done}/${progress.total}${progress.failed > 0 ? ` (${progress.failed} failed)` : ''}`,
    `${progress.inFlight} in flight`,
    `${Math.round(progress.tokensPerSecond).toLocaleString('en-US')} tok/s`,
    `$${progress.costUsd.toFixed(4)}`,
  ];
  if (eta !== undefined && progress.done < progress.total) parts.push(`ETA ${duration(eta)}`);
  return parts.join(' · ');
}
