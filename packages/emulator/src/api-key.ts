/**
 * Who is calling: the API key from `x-goog-api-key` (what the SDK sends) or `?key=`, or an
 * OAuth bearer token. None is the API's 403 PERMISSION_DENIED; a key outside an allow-list
 * (when one is configured) is its 400 API_KEY_INVALID.
 */
import type { ApiCall } from './api-call.js';
import { invalidApiKey, missingApiKey } from './errors.js';

export function authenticate(call: ApiCall, allowed: readonly string[] | null): void {
  const key = call.header('x-goog-api-key') || (call.query.get('key') ?? '');
  if (key === '') {
    if (allowed === null && /^Bearer\s+\S/i.test(call.header('authorization'))) return;
    throw missingApiKey();
  }
  if (allowed !== null && !allowed.includes(key)) throw invalidApiKey();
}
