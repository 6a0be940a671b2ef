import { GoogleGenAI } from '@google/genai';
import { describe, expect, it } from 'vitest';
import { apiError, client, emulator, raw } from './helpers.js';

describe('bad requests get the API errors, through the real client', () => {
  it('missing contents: 400 INVALID_ARGUMENT', async () => {
    const ai = client(await emulator());
    const missing = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: undefined as never }),
    );
    expect(missing).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: '* GenerateContentRequest.contents: contents is not specified\n',
          status: 'INVALID_ARGUMENT',
        },
      },
    });
    const emptyParts = await apiError(() =>
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [{ role: 'user', parts: [] }],
      }),
    );
    expect(emptyParts.body.error).toMatchObject({
      code: 400,
      status: 'INVALID_ARGUMENT',
      message: '* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n',
    });
    const badRole = await apiError(() =>
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [{ role: 'system', parts: [{ text: 'x' }] }],
      }),
    );
    expect(badRole.body.error.message).toBe('Please use a valid role: user, model.');
  });

  it('invalid JSON: 400 INVALID_ARGUMENT', async () => {
    const handle = await emulator();
    // The client is unmodified; only its transport mangles the body on the way out.
    const ai = new GoogleGenAI({
      apiKey: 'k',
      httpOptions: {
        baseUrl: handle.url,
        apiVersion: 'v1beta',
        fetch: (url, init) => fetch(url, { ...init, body: '{"contents": [' }),
      },
    });
    const error = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }),
    );
    expect(error.status).toBe(400);
    expect(error.body.error.status).toBe('INVALID_ARGUMENT');
    expect(error.body.error.message).toMatch(/^Invalid JSON payload received\. /);
    const direct = await raw(handle, '/v1/models/gemini-2.5-flash:generateContent', {
      body: 'nope',
    });
    expect(direct.status).toBe(400);
    expect(JSON.parse(direct.text).error.status).toBe('INVALID_ARGUMENT');
    const notAMessage = await raw(handle, '/v1/models/gemini-2.5-flash:generateContent', {
      body: '[1,2]',
    });
    expect(JSON.parse(notAMessage.text).error.message).toContain('Root element must be a message');
  });

  it('unknown model: 404 NOT_FOUND', async () => {
    const ai = client(await emulator());
    const error = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-9-ultra', contents: 'x' }),
    );
    expect(error).toEqual({
      status: 404,
      body: {
        error: {
          code: 404,
          status: 'NOT_FOUND',
          message:
            'models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
        },
      },
    });
    const stream = await apiError(async () => {
      for await (const _ of await ai.models.generateContentStream({
        model: 'gemini-9-ultra',
        contents: 'x',
      })) {
        // consume
      }
    });
    expect(stream.status).toBe(404);
  });

  it('missing API key: 403 PERMISSION_DENIED; keys outside an allow-list: 400 API_KEY_INVALID', async () => {
    const handle = await emulator({ apiKeys: ['good-key'] });
    const missing = await apiError(() =>
      client(handle, 'v1beta', { apiKey: '' }).models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'x',
      }),
    );
    expect(missing.status).toBe(403);
    expect(missing.body.error.status).toBe('PERMISSION_DENIED');
    expect(missing.body.error.message).toContain('unregistered callers');
    const wrong = await apiError(() =>
      client(handle, 'v1beta', { apiKey: 'bad-key' }).models.generateContent({
        model: 'gemini-2.5-flash',
        contents: 'x',
      }),
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details?.[0]).toMatchObject({ reason: 'API_KEY_INVALID' });
    const good = await client(handle, 'v1beta', { apiKey: 'good-key' }).models.countTokens({
      model: 'gemini-2.5-flash',
      contents: 'x',
    });
    expect(good.totalTokens).toBe(1);
    // The key may also come as ?key=.
    const byQuery = await raw(handle, '/v1beta/models/gemini-2.5-flash:countTokens?key=good-key', {
      body: JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }),
      headers: { 'x-goog-api-key': '' },
    });
    expect(byQuery.status).toBe(200);
  });

  it('a body over the limit: 400 INVALID_ARGUMENT', async () => {
    const ai = client(await emulator({ bodyLimitBytes: 2000 }));
    const error = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x'.repeat(5000) }),
    );
    expect(error).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          status: 'INVALID_ARGUMENT',
          message: 'Request payload size exceeds the limit: 2000 bytes.',
        },
      },
    });
    // The server closed that connection; the next call still works.
    const ok = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'x' });
    expect(ok.totalTokens).toBe(1);
  });

  it('a prompt over the model input limit, wrong types and unknown paths', async () => {
    const handle = await emulator({ models: { 'gemini-2.5-flash': { inputTokenLimit: 10 } } });
    const ai = client(handle);
    const tooLong = await apiError(() =>
      ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'x'.repeat(44) }),
    );
    expect(tooLong.body.error.message).toBe(
      'The input token count (11) exceeds the maximum number of tokens allowed (10).',
    );

    const wrongType = await raw(handle, '/v1beta/models/gemini-2.5-flash:generateContent', {
      body: JSON.stringify({ contents: [{ parts: [{ text: 5 }] }] }),
    });
    expect(wrongType.status).toBe(400);
    expect(JSON.parse(wrongType.text).error.message).toBe(
      "Invalid value at 'contents[0].parts[0].text' (TYPE_STRING), 5",
    );

    const noData = await raw(handle, '/v1beta/models/gemini-2.5-flash:generateContent', {
      body: JSON.stringify({ contents: [{ parts: [{}] }] }),
    });
    expect(JSON.parse(noData.text).error.message).toContain("required oneof field 'data'");

    for (const [method, path] of [
      ['GET', '/v1beta/nothing'],
      ['POST', '/v1beta/models/gemini-2.5-flash:fly'],
      ['DELETE', '/v1beta/models/gemini-2.5-flash'],
      ['POST', '/v1/batches'],
    ] as const) {
      const res = await raw(handle, path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(res.text)).toEqual({
        error: { code: 404, message: 'Method not found.', status: 'NOT_FOUND' },
      });
    }

    const badFault = await raw(handle, '/v1beta/models/gemini-2.5-flash:countTokens', {
      body: '{}',
      headers: { 'x-emulator-fault': 'fire' },
    });
    expect(badFault.status).toBe(400);
    expect(JSON.parse(badFault.text).error.message).toContain(
      'x-emulator-fault must be one of 500, 503, reset',
    );
    expect(handle.stats().internalErrors).toBe(0);
  });
});
