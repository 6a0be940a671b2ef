import { GenerateContentResponse } from '@google/genai';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  isCacheableAnswer,
  isDeterministic,
  requestCacheKey,
  tenantScope,
} from '../src/index.js';

const scope = tenantScope('acme', 'unused');
const base = {
  model: 'gemini-2.5-flash',
  contents: 'hello',
  config: { temperature: 0, topK: 3, responseMimeType: 'text/plain' },
};

function response(fields: object): GenerateContentResponse {
  return Object.assign(new GenerateContentResponse(), fields);
}
const stop = (text: string) => ({
  candidates: [{ index: 0, content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }],
});

describe('response cache key', () => {
  it('ignores property order, the models/ prefix, undefined fields and how contents is spelled', () => {
    const key = requestCacheKey(scope, base, false);
    expect(key).toMatch(/^[\w-]{43}:[\w-]{43}$/);
    for (const same of [
      {
        config: { responseMimeType: 'text/plain', topK: 3, temperature: 0 },
        contents: 'hello',
        model: 'models/gemini-2.5-flash',
      },
      { ...base, contents: [{ role: 'user', parts: [{ text: 'hello' }] }] },
      { ...base, contents: { role: 'user', parts: ['hello'] } },
      { ...base, contents: [{ text: 'hello' }] },
      { ...base, config: { ...base.config, topP: undefined } },
      {
        ...base,
        config: {
          ...base.config,
          abortSignal: new AbortController().signal,
          httpOptions: { timeout: 5 },
        },
      },
    ]) {
      expect(requestCacheKey(scope, same as typeof base, false)).toBe(key);
    }
  });

  it('changes with the model, contents, any config field, the stream flag and the scope', () => {
    const key = requestCacheKey(scope, base, false);
    const others = [
      requestCacheKey(scope, { ...base, model: 'gemini-2.5-pro' }, false),
      requestCacheKey(scope, { ...base, contents: 'hello!' }, false),
      requestCacheKey(
        scope,
        { ...base, contents: [{ role: 'model', parts: [{ text: 'hello' }] }] },
        false,
      ),
      requestCacheKey(scope, { ...base, config: { ...base.config, topK: 4 } }, false),
      requestCacheKey(
        scope,
        { ...base, config: { ...base.config, systemInstruction: 'be brief' } },
        false,
      ),
      requestCacheKey(scope, base, true),
      requestCacheKey(tenantScope('other', 'unused'), base, false),
      requestCacheKey(tenantScope(undefined, 'acme'), base, false),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });

  it('scopes by a hash of the API key, never the key itself', () => {
    const s = tenantScope(undefined, 'AIzaSECRET');
    expect(s).not.toContain('SECRET');
    expect(s).toBe(tenantScope(undefined, 'AIzaSECRET'));
    expect(s).not.toBe(tenantScope(undefined, 'AIzaOTHER'));
    // A tenant named like a key still gets its own scope.
    expect(tenantScope('AIzaSECRET', 'x')).not.toBe(s);
  });

  it('refuses to key a request holding functions (callable tools)', () => {
    const tool = { tool: async () => ({}), callTool: async () => [] };
    expect(
      requestCacheKey(
        scope,
        { ...base, config: { ...base.config, tools: [tool as never] } },
        false,
      ),
    ).toBeUndefined();
  });

  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('caches only temperature 0, unless nondeterministic', () => {
    expect(isDeterministic(base, false)).toBe(true);
    expect(isDeterministic({ ...base, config: {} }, false)).toBe(false);
    expect(isDeterministic({ ...base, config: { temperature: 0.1 } }, false)).toBe(false);
    expect(isDeterministic({ ...base, config: {} }, true)).toBe(true);
  });
});

describe('what the cache stores', () => {
  it('stores answers that finished with STOP, function calls included', () => {
    expect(isCacheableAnswer([response(stop('hi'))])).toBe(true);
    expect(
      isCacheableAnswer([
        response({
          candidates: [
            {
              content: { parts: [{ functionCall: { name: 'f', args: {} } }] },
              finishReason: 'STOP',
            },
          ],
        }),
      ]),
    ).toBe(true);
    // A stream: chunks without a finish reason, the last with STOP.
    expect(
      isCacheableAnswer([
        response({ candidates: [{ index: 0, content: { parts: [{ text: 'a' }] } }] }),
        response(stop('b')),
      ]),
    ).toBe(true);
  });

  it('never stores truncated, blocked, filtered, empty or unfinished answers', () => {
    for (const reason of [
      'MAX_TOKENS',
      'SAFETY',
      'RECITATION',
      'BLOCKLIST',
      'PROHIBITED_CONTENT',
      'OTHER',
    ]) {
      expect(
        isCacheableAnswer([
          response({ candidates: [{ content: { parts: [] }, finishReason: reason }] }),
        ]),
      ).toBe(false);
    }
    expect(isCacheableAnswer([response({ promptFeedback: { blockReason: 'SAFETY' } })])).toBe(
      false,
    );
    expect(
      isCacheableAnswer([response({ ...stop('x'), promptFeedback: { blockReason: 'OTHER' } })]),
    ).toBe(false);
    expect(isCacheableAnswer([])).toBe(false);
    expect(isCacheableAnswer([response({ candidates: [] })])).toBe(false);
    // A stream cut before its last chunk.
    expect(
      isCacheableAnswer([
        response({ candidates: [{ index: 0, content: { parts: [{ text: 'a' }] } }] }),
      ]),
    ).toBe(false);
    // One candidate of two truncated.
    expect(
      isCacheableAnswer([
        response({
          candidates: [
            { index: 0, finishReason: 'STOP' },
            { index: 1, finishReason: 'MAX_TOKENS' },
          ],
        }),
      ]),
    ).toBe(false);
  });
});
