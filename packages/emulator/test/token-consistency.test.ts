import { describe, expect, it } from 'vitest';
import { builtinModels, Random, startEmulator } from '../src/index.js';
import type { LatencySample } from '../src/latency-model.js';
import { generateTurn, promptUsage, totalTokens } from '../src/model-output.js';
import { type GenerateRequest, parseGenerateRequest } from '../src/request-schema.js';
import { responseBody, streamFrames, unaryFrame } from '../src/response-shape.js';
import { contentsTokens, partTokens, textTokens } from '../src/tokens.js';
import { client } from './helpers.js';

/** A random but valid GenerateContentRequest body. */
function randomBody(r: Random): Record<string, unknown> {
  const text = () =>
    'x'.repeat(r.int(0, 40)) + 'é漢'.repeat(r.int(0, 5)) + ' word'.repeat(r.int(1, 60));
  const contents = Array.from({ length: r.int(1, 4) }, (_, i) => ({
    role: i % 2 === 0 ? 'user' : 'model',
    parts: Array.from({ length: r.int(1, 3) }, () => {
      const kind = r.int(0, 5);
      if (kind === 0) return { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } };
      if (kind === 1) return { functionResponse: { name: 'lookup', response: { value: text() } } };
      return { text: text() };
    }),
  }));
  const body: Record<string, unknown> = { contents };
  const generationConfig: Record<string, unknown> = {};
  if (r.next() < 0.5) generationConfig.maxOutputTokens = r.int(1, 900);
  if (r.next() < 0.4)
    generationConfig.thinkingConfig = {
      thinkingBudget: r.int(-1, 300),
      includeThoughts: r.next() < 0.5,
    };
  if (r.next() < 0.2) generationConfig.responseMimeType = 'application/json';
  body.generationConfig = generationConfig;
  if (r.next() < 0.3) body.systemInstruction = { parts: [{ text: text() }] };
  if (r.next() < 0.3) body.tools = [{ googleSearch: {} }];
  if (r.next() < 0.2) body.cachedContent = 'cachedContents/abc';
  return body;
}

describe('token counts are consistent', () => {
  const models = builtinModels('default');

  it('over 300 seeds: usage, stream running totals and countTokens agree with the counting rule', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = new Random(seed);
      const name =
        (['gemini-2.5-flash', 'gemini-2.5-flash-lite', 'gemini-2.5-pro'] as const)[seed % 3] ??
        'gemini-2.5-flash';
      const profile = models[name];
      if (profile === undefined) throw new Error('missing profile');
      const body = randomBody(r);
      const request: GenerateRequest = parseGenerateRequest(body);
      if (profile.thinking === 'required' && request.thinkingBudget === 0) continue;
      const prompt = promptUsage(request, profile);
      const latency: LatencySample = {
        ttftMs: 300,
        thinkingMs: r.next() * 4000,
        decodeTokensPerSecond: 50 + r.next() * 400,
      };
      const turn = generateTurn({
        request,
        profile,
        prompt,
        latency,
        functionCallingRounds: 1,
        random: r,
      });
      const u = turn.usage;

      // The prompt is the contents plus system instruction, tools and cached content.
      const contentsOnly = contentsTokens(request.contents).total;
      const expectedPrompt =
        contentsOnly +
        (request.systemInstruction ? contentsTokens([request.systemInstruction]).total : 0) +
        (request.toolsJson ? textTokens(request.toolsJson) : 0) +
        (request.cachedContent ? profile.cachedContentTokens : 0);
      expect(prompt.count.total).toBe(expectedPrompt);
      expect(Object.values(prompt.count.byModality).reduce((a, b) => a + (b ?? 0), 0)).toBe(
        prompt.count.total,
      );

      // Candidates are counted by the same rule as prompts.
      expect(u.candidates).toBe(
        turn.functionCall
          ? partTokens({ functionCall: turn.functionCall }).tokens
          : textTokens(turn.text),
      );
      if (request.maxOutputTokens !== undefined && !turn.functionCall) {
        expect(u.thoughts + u.candidates).toBeLessThanOrEqual(request.maxOutputTokens);
      }
      if (request.thinkingBudget !== undefined && request.thinkingBudget > 0) {
        expect(u.thoughts).toBeLessThanOrEqual(request.thinkingBudget);
      }
      if (request.thinkingBudget === 0) expect(u.thoughts).toBe(0);
      if (turn.thoughtSummary !== undefined)
        expect(textTokens(turn.thoughtSummary)).toBeLessThanOrEqual(u.thoughts);

      // Unary body: total = prompt + candidates + thoughts + tool use.
      const unary = responseBody(unaryFrame(turn), u, name, 'id') as {
        usageMetadata: Record<string, number>;
      };
      const m = unary.usageMetadata;
      expect(m.totalTokenCount).toBe(
        (m.promptTokenCount ?? 0) +
          (m.candidatesTokenCount ?? 0) +
          (m.thoughtsTokenCount ?? 0) +
          (m.toolUsePromptTokenCount ?? 0),
      );
      expect(m.totalTokenCount).toBe(totalTokens(u));
      expect(m.cachedContentTokenCount ?? 0).toBe(prompt.cached);

      // Stream: running totals match the text sent so far and end at the unary usage.
      let textSoFar = '';
      let last = -1;
      for (const frame of streamFrames(turn, profile.chunkTokens)) {
        for (const part of frame.parts) {
          if (typeof part.text === 'string' && part.thought !== true) textSoFar += part.text;
        }
        if (!turn.functionCall) expect(frame.candidatesSoFar).toBe(textTokens(textSoFar));
        expect(frame.candidatesSoFar).toBeGreaterThanOrEqual(last);
        last = frame.candidatesSoFar;
        const chunk = responseBody(frame, u, name, 'id') as {
          usageMetadata: Record<string, number>;
        };
        expect(chunk.usageMetadata.totalTokenCount).toBe(
          totalTokens({ ...u, candidates: frame.candidatesSoFar }),
        );
      }
      expect(last).toBe(u.candidates);
      if (!turn.functionCall) expect(textSoFar).toBe(turn.text);
    }
  });

  it('over 12 seeds through HTTP: countTokens = promptTokenCount, stream totals = text, quota TPM = prompts', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      // Real-time minute (speed 1) with no latency, so the quota window still holds every call.
      const handle = await startEmulator({ seed, profile: 'zero' });
      try {
        const ai = client(handle);
        const r = new Random(seed * 7919);
        let prompts = 0;
        for (let i = 0; i < 3; i++) {
          const body = randomBody(r);
          delete body.systemInstruction;
          delete body.tools;
          delete body.cachedContent;
          const contents = body.contents as Parameters<typeof ai.models.countTokens>[0]['contents'];
          const counted = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents });
          const unary = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents });
          expect(unary.usageMetadata?.promptTokenCount).toBe(counted.totalTokens);
          prompts += counted.totalTokens ?? 0;

          const stream = await ai.models.generateContentStream({
            model: 'gemini-2.5-flash',
            contents,
            config: { maxOutputTokens: 2000, thinkingConfig: { thinkingBudget: 100 } },
          });
          let text = '';
          let lastUsage: Record<string, number | undefined> = {};
          for await (const chunk of stream) {
            text += chunk.text ?? '';
            lastUsage = { ...chunk.usageMetadata } as Record<string, number | undefined>;
            expect(lastUsage.candidatesTokenCount ?? 0).toBe(textTokens(text));
          }
          prompts += counted.totalTokens ?? 0;
          expect(lastUsage.promptTokenCount).toBe(counted.totalTokens);
          expect(lastUsage.totalTokenCount).toBe(
            (lastUsage.promptTokenCount ?? 0) +
              (lastUsage.candidatesTokenCount ?? 0) +
              (lastUsage.thoughtsTokenCount ?? 0),
          );
        }
        expect(handle.stats().models['gemini-2.5-flash']?.quota.inputTokensPerMinute).toBe(prompts);
        expect(handle.stats().tokens.input).toBe(prompts);
      } finally {
        await handle.close();
      }
    }
  });
});
