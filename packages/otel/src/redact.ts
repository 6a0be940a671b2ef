const KEY_PARAM = /([?&](?:key|api_key|apiKey)=)[^&#\s"']*/gi;
const KEY_HEADER = /(x-goog-api-key["']?\s*[:=]\s*["']?)[^"'\s,;}]+/gi;
const REDACTED = 'REDACTED';

/**
 * Removes credentials from text before it is recorded (span status, exception events, URLs):
 * `key=` query parameters, an `x-goog-api-key` header value, and any occurrence of the given
 * secrets (the client's API key). The observed error itself is never changed.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(KEY_PARAM, `$1${REDACTED}`).replace(KEY_HEADER, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}
