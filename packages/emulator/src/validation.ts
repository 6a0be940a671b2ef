/**
 * Checks for option objects that may come from JSON (a CLI options file, a control request), so
 * every message names the field and the value it got.
 */

/** An option (or control patch) is invalid; `field` is its dotted path. */
export class EmulatorOptionsError extends Error {
  readonly code = 'ERR_EMULATOR_OPTIONS';
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.name = 'EmulatorOptionsError';
    this.field = field;
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as a plain object whose keys are all in `allowed`. */
export function objectOf(
  value: unknown,
  field: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new EmulatorOptionsError(field, `must be an object (got ${describe(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new EmulatorOptionsError(
        field === '' ? key : `${field}.${key}`,
        `is not a known option (known: ${allowed.join(', ')})`,
      );
    }
  }
  return value;
}

/** The value as a plain object with any keys (a map such as models by name). */
export function mapOf(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) {
    throw new EmulatorOptionsError(field, `must be an object (got ${describe(value)})`);
  }
  return value;
}

export interface NumberRule {
  min?: number;
  /** When true, `min` itself is not allowed. */
  exclusiveMin?: boolean;
  max?: number;
  integer?: boolean;
}

export function numberOf(value: unknown, field: string, rule: NumberRule = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new EmulatorOptionsError(field, `must be a finite number (got ${describe(value)})`);
  }
  if (rule.integer && !Number.isInteger(value)) {
    throw new EmulatorOptionsError(field, `must be an integer (got ${value})`);
  }
  if (rule.min !== undefined) {
    if (rule.exclusiveMin ? value <= rule.min : value < rule.min) {
      throw new EmulatorOptionsError(
        field,
        `must be ${rule.exclusiveMin ? '>' : '>='} ${rule.min} (got ${value})`,
      );
    }
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new EmulatorOptionsError(field, `must be <= ${rule.max} (got ${value})`);
  }
  return value;
}

export function booleanOf(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') {
    throw new EmulatorOptionsError(field, `must be true or false (got ${describe(value)})`);
  }
  return value;
}

export function stringOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new EmulatorOptionsError(field, `must be a non-empty string (got ${describe(value)})`);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new EmulatorOptionsError(
      field,
      `must be one of ${allowed.join(', ')} (got ${describe(value)})`,
    );
  }
  return value as T;
}
