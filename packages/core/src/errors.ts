/** Registered symbol, so two copies of this package in one process still recognise each other's errors. */
const brand = Symbol.for('gemini-lanes.error');

/**
 * Every error gemini-lanes throws on purpose is a `GeminiLanesError` with a stable `code`,
 * so callers branch on `err.code` instead of parsing messages, and telemetry records the
 * code as `error.type` without free text.
 */
export class GeminiLanesError extends Error {
  /** Stable, machine-readable identifier, e.g. `ERR_QUEUE_TIMEOUT`. Never changes between releases. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    // `new.target.name` gives subclasses their own name without each one repeating this line.
    this.name = new.target.name;
    Object.defineProperty(this, brand, { value: true });
  }
}

/** True when `value` is a gemini-lanes error (from any copy of this package), optionally with the given code. */
export function isGeminiLanesError(value: unknown, code?: string): value is GeminiLanesError {
  if (typeof value !== 'object' || value === null || !(brand in value)) return false;
  return code === undefined || (value as { code?: unknown }).code === code;
}
