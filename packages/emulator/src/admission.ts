/**
 * Letting a model call in: the project's quota first (a refusal is an immediate 429 with a true
 * retry delay, in wall-clock time), then a generation slot (a full queue is a 503).
 */
import type { EmulatorContext, ModelRuntime } from './context.js';
import { resourceExhausted, unavailable } from './errors.js';
import { quotaViolations } from './quota.js';

/** Debits the quota for one request of `inputTokens`, or throws the API's 429. */
export function admitQuota(ctx: EmulatorContext, model: string, inputTokens: number): void {
  const control = ctx.control.current;
  if (!control.quota.enabled) return;
  const limits = control.quota.limits[model];
  if (limits === undefined) return;
  const decision = ctx.quota.admit(model, limits, inputTokens, ctx.clock.now());
  if (decision.admitted) return;
  ctx.metrics.rateLimited++;
  for (const limit of decision.exceeded) ctx.metrics.rateLimitedByLimit[limit]++;
  // One real millisecond of margin: timers may fire up to a millisecond early.
  const retryAfterMs =
    decision.retryAfterMs === null ? null : ctx.clock.toRealMs(decision.retryAfterMs) + 1;
  throw resourceExhausted(quotaViolations(model, limits, decision.exceeded), retryAfterMs);
}

/**
 * Waits for a generation slot. Resolves `true` holding one (release it with
 * `runtime.slots.release()`), `false` if the client left while queued; throws 503 when full.
 */
export async function acquireSlot(
  runtime: ModelRuntime,
  signal: () => AbortSignal,
): Promise<boolean> {
  const grant = runtime.slots.acquire(signal);
  if (grant === 'full') throw unavailable();
  if (grant === 'acquired') return true;
  if (grant === 'aborted') return false;
  return (await grant) === 'acquired';
}
