import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';

type Segment = PropertyKey;

/** `lanes.latency.models[0]`, `quota.models["gemini-2.5-pro"].rpm`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) {
      out += out ? `.${segment}` : segment;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** A value as it appears in a message: short, and unambiguous about its type. */
export function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const TYPE_NAMES: Record<string, string> = {
  int: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

function bound(issue: { inclusive?: boolean }, strict: string, inclusive: string, limit: unknown) {
  return `must be ${issue.inclusive ? inclusive : strict} ${String(limit)}`;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(
        above + 1,
        (row[j - 1] ?? 0) + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The closest known key, when one is close enough to be a typo. */
export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Turns zod's issues into messages that name the field and the value, in the project's words:
 * `lanes.latency.sla.maxQueueWaitMs must be > 0 (got -5)`.
 */
export function formatZodIssues(
  issues: readonly z.core.$ZodIssue[],
  knownKeysAt: (path: readonly Segment[]) => readonly string[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const got = ` (got ${formatValue(issue.input)})`;
    const path = formatPath(issue.path);
    switch (issue.code) {
      case 'invalid_type':
        out.push({
          path,
          message:
            issue.input === undefined
              ? 'is required'
              : `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}${got}`,
        });
        break;
      case 'too_small':
        out.push({
          path,
          message:
            issue.origin === 'array'
              ? `must list at least ${String(issue.minimum)} item(s)${got}`
              : issue.origin === 'string'
                ? `must not be empty${got}`
                : `${bound(issue, '>', '>=', issue.minimum)}${got}`,
        });
        break;
      case 'too_big':
        out.push({
          path,
          message:
            issue.origin === 'array'
              ? `must list at most ${String(issue.maximum)} item(s)${got}`
              : `${bound(issue, '<', '<=', issue.maximum)}${got}`,
        });
        break;
      case 'invalid_value':
        out.push({
          path,
          message: `must be one of ${issue.values.map((v) => formatValue(v)).join(', ')}${got}`,
        });
        break;
      case 'invalid_format':
        out.push({
          path,
          message: `${issue.format === 'url' ? 'must be an http(s) URL such as http://127.0.0.1:8089' : issue.message}${got}`,
        });
        break;
      case 'unrecognized_keys': {
        const known = knownKeysAt(issue.path);
        for (const key of issue.keys) {
          const hint = suggest(key, known);
          out.push({
            path: formatPath([...issue.path, key]),
            message: `is not a known option${hint ? ` (did you mean ${hint}?)` : ''}`,
          });
        }
        break;
      }
      case 'invalid_key':
        out.push({
          path,
          message: `is not allowed as a key: it ${issue.issues[0]?.message ?? 'is invalid'}`,
        });
        break;
      case 'invalid_union':
      case 'invalid_element':
      case 'not_multiple_of':
      case 'custom':
        out.push({ path, message: `${issue.message}${got}` });
        break;
    }
  }
  return out;
}
