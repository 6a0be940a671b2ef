/**
 * Token counting: a deterministic approximation of Gemini's tokenizer, used alike by
 * countTokens, `usageMetadata` and the input-tokens-per-minute quota, so all three always agree.
 *
 * - text: ceil(characters / 4) per part (UTF-16 code units; English averages about 4);
 * - inline or file data (images, audio, documents): 258 tokens per part, what one image costs;
 * - function calls and responses: the text rule over `name` + the JSON of `args` / `response`;
 * - executable code and its result: the text rule over the code / output;
 * - a system instruction counts like contents; tool declarations count as the text of their JSON.
 *
 * Generated text is built so that its own count follows the same rule.
 */
import type { Content, GenerateRequest, Part } from './request-schema.js';

export const CHARS_PER_TOKEN = 4;
export const MEDIA_PART_TOKENS = 258;

export type Modality = 'TEXT' | 'IMAGE' | 'AUDIO' | 'VIDEO' | 'DOCUMENT';

/** Tokens of a piece of text. */
export function textTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

function mediaModality(mimeType: string): Modality {
  if (mimeType.startsWith('image/')) return 'IMAGE';
  if (mimeType.startsWith('audio/')) return 'AUDIO';
  if (mimeType.startsWith('video/')) return 'VIDEO';
  if (mimeType === 'application/pdf') return 'DOCUMENT';
  return 'TEXT';
}

/** Tokens of one part, and the modality it counts under. */
export function partTokens(part: Part): { tokens: number; modality: Modality } {
  if (part.text !== undefined) return { tokens: textTokens(part.text), modality: 'TEXT' };
  if (part.inlineData)
    return { tokens: MEDIA_PART_TOKENS, modality: mediaModality(part.inlineData.mimeType) };
  if (part.fileData)
    return { tokens: MEDIA_PART_TOKENS, modality: mediaModality(part.fileData.mimeType) };
  if (part.functionCall) {
    return {
      tokens: textTokens(part.functionCall.name + JSON.stringify(part.functionCall.args)),
      modality: 'TEXT',
    };
  }
  if (part.functionResponse) {
    return {
      tokens: textTokens(
        part.functionResponse.name + JSON.stringify(part.functionResponse.response),
      ),
      modality: 'TEXT',
    };
  }
  if (part.executableCode)
    return { tokens: textTokens(part.executableCode.code), modality: 'TEXT' };
  if (part.codeExecutionResult) {
    return { tokens: textTokens(part.codeExecutionResult.output), modality: 'TEXT' };
  }
  return { tokens: 0, modality: 'TEXT' };
}

/** A prompt's token count with its per-modality breakdown (`promptTokensDetails`). */
export interface TokenCount {
  total: number;
  byModality: Partial<Record<Modality, number>>;
}

function add(count: TokenCount, tokens: number, modality: Modality): void {
  count.total += tokens;
  count.byModality[modality] = (count.byModality[modality] ?? 0) + tokens;
}

/** Tokens of a list of contents, what countTokens answers for `{ contents }`. */
export function contentsTokens(contents: readonly Content[]): TokenCount {
  const count: TokenCount = { total: 0, byModality: {} };
  for (const content of contents) {
    for (const part of content.parts) {
      const { tokens, modality } = partTokens(part);
      add(count, tokens, modality);
    }
  }
  return count;
}

/**
 * Tokens of everything a GenerateContentRequest sends the model (contents, system instruction,
 * tool declarations), excluding cached content, which the caller adds.
 */
export function requestTokens(request: GenerateRequest): TokenCount {
  const count = contentsTokens(request.contents);
  if (request.systemInstruction) {
    const system = contentsTokens([request.systemInstruction]);
    for (const [modality, tokens] of Object.entries(system.byModality)) {
      add(count, tokens, modality as Modality);
    }
  }
  if (request.toolsJson !== undefined) add(count, textTokens(request.toolsJson), 'TEXT');
  return count;
}

/** `promptTokensDetails` as the API lists it. */
export function modalityDetails(
  count: TokenCount,
): Array<{ modality: Modality; tokenCount: number }> {
  return Object.entries(count.byModality)
    .filter(([, tokens]) => tokens > 0)
    .map(([modality, tokens]) => ({ modality: modality as Modality, tokenCount: tokens }));
}
