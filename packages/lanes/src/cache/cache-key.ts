import { createHash } from 'node:crypto';
import type { GenerateContentParameters } from '@google/genai';

/** Bumped whenever the canonical form changes, so old entries are never read as new ones. */
const KEY_VERSION = 1;

/** Config fields that change how the call is made, not what is asked: left out of the key. */
const TRANSPORT_FIELDS = new Set(['abortSignal', 'httpOptions']);

/** Thrown inside canonicalisation: the request holds something that has no stable JSON form. */
class NotCanonical extends Error {}

/**
 * The scope a cache entry belongs to: the caller's tenant id, or else the API key, hashed
 * (domain-separated, so a tenant id can never collide with a key). The key itself is never
 * stored, logged or used as a cache key.
 */
export function tenantScope(tenant: string | undefined, apiKey: string): string {
  return tenant !== undefined ? sha256(`tenant\0${tenant}`) : sha256(`api-key\0${apiKey}`);
}

/**
 * The cache key of a request within a scope: `<scope>:<sha256 of the canonical request>`, or
 * `undefined` when the request cannot be keyed (it carries functions, such as callable tools
 * the SDK would run itself). Property order, `models/` and how `contents` is spelled (a string,
 * a part, a content or a list of them) do not change the key; `abortSignal` and `httpOptions`
 * are left out; unary and streaming calls have different keys.
 */
export function requestCacheKey(
  scope: string,
  params: GenerateContentParameters,
  stream: boolean,
): string | undefined {
  const config: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(params.config ?? {})) {
    if (!TRANSPORT_FIELDS.has(field)) config[field] = value;
  }
  let canonical: string;
  try {
    canonical = canonicalJson({
      v: KEY_VERSION,
      stream,
      model: params.model.startsWith('models/') ? params.model.slice(7) : params.model,
      contents: normalizeContents(params.contents),
      config,
    });
  } catch (error) {
    if (error instanceof NotCanonical) return undefined;
    throw error;
  }
  return `${scope}:${sha256(canonical)}`;
}

/**
 * Whether a request is deterministic enough to cache: its temperature is explicitly 0
 * (Gemini's default is 1.0, so an unset one is not), unless `nondeterministic` allows any.
 */
export function isDeterministic(
  params: GenerateContentParameters,
  nondeterministic: boolean,
): boolean {
  return nondeterministic || params.config?.temperature === 0;
}

/** JSON with object keys sorted at every depth and `undefined` fields dropped; functions refuse. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') throw new NotCanonical();
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value))
    return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (ArrayBuffer.isView(value))
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    out[key] = sortKeys(field);
  }
  return out;
}

/**
 * `contents` as the SDK sends it: a list of `{ role, parts }`. A string or a part (or a list of
 * strings and parts) is one user turn; a content or a list of contents stays as it is.
 */
function normalizeContents(contents: GenerateContentParameters['contents']): unknown {
  const items: unknown[] = Array.isArray(contents) ? contents : [contents];
  if (items.length > 0 && items.every(isContent)) {
    return items.map((c) => ({
      ...(c as object),
      parts: (c as { parts?: unknown[] }).parts?.map(toPart),
    }));
  }
  if (items.some(isContent)) return items; // mixed: the SDK refuses it; key it as given
  return [{ role: 'user', parts: items.map(toPart) }];
}

function isContent(item: unknown): boolean {
  return typeof item === 'object' && item !== null && ('parts' in item || 'role' in item);
}

function toPart(part: unknown): unknown {
  return typeof part === 'string' ? { text: part } : part;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
