import { diag } from '@opentelemetry/api';

/**
 * Runs telemetry code or a user-supplied hook so that it can never break the call it observes:
 * a throw, or a rejected promise if it returns one, is reported through the OpenTelemetry diag
 * logger and swallowed. Returns the function's result, or `undefined` when it failed.
 */
export function guard<R>(what: string, fn: () => R): R | undefined {
  try {
    const result = fn();
    if (isThenable(result)) {
      // An async hook's rejection would otherwise be an unhandled rejection that can end the process.
      result.then(undefined, (error: unknown) => report(what, error));
    }
    return result;
  } catch (error) {
    report(what, error);
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function report(what: string, error: unknown): void {
  try {
    diag.error(`@gemini-lanes/otel: ${what} failed; the observed call is unaffected`, error);
  } catch {
    // A broken diag logger is the last line; there is nowhere left to report to.
  }
}
