import { type CallScope, callScopes } from './call-scope.js';
import type { GenAIApiClientLike } from './genai-client.js';
import { guard } from './guard.js';

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

function observedFetch(scope: CallScope, inner: typeof fetch): typeof fetch {
  return (input, init) => {
    const roundTrip = guard('round trip start', () => scope.begin(urlOf(input), init));
    const pending = inner(input, init);
    if (roundTrip === undefined) return pending;
    return pending.then(
      (response) => {
        guard('round trip response', () => scope.responded(roundTrip, response));
        return response;
      },
      (error: unknown) => {
        guard('round trip failure', () => scope.failed(roundTrip, error));
        throw error;
      },
    );
  };
}

/**
 * Observes every HTTP round trip an instrumented call of this client makes, through the
 * `fetch` the SDK hands to its single request function (the client's `httpOptions.fetch`, or
 * the global `fetch`). Only round trips made on behalf of an instrumented call of this very
 * client are observed; everything else passes straight through. Returns false when the SDK
 * has no such function (round trips are then not observed; calls still are).
 */
export function observeRoundTrips(apiClient: GenAIApiClientLike): boolean {
  const original = apiClient.apiCall;
  if (typeof original !== 'function') return false;
  apiClient.apiCall = function apiCall(url, init, retryOptions, timeout, abortSignal, fetchFn) {
    const scope = callScopes.getStore();
    if (scope === undefined || scope.owner !== apiClient) {
      return original.call(this, url, init, retryOptions, timeout, abortSignal, fetchFn);
    }
    const inner = fetchFn ?? globalThis.fetch;
    return original.call(
      this,
      url,
      init,
      retryOptions,
      timeout,
      abortSignal,
      observedFetch(scope, inner),
    );
  };
  return true;
}
