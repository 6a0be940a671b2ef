/**
 * GenerateContentResponse bodies in the API's shape: `candidates[].content.parts`, `finishReason`,
 * `usageMetadata`, `modelVersion`, `responseId`; for streams, one body per chunk with the usage
 * running total so far, as the API sends it (each chunk's usage is cumulative, never a delta).
 */
import { type ModelTurn, splitText, totalTokens, type Usage } from './model-output.js';
import { modalityDetails } from './tokens.js';

export type ResponsePart = Record<string, unknown>;

/** `usageMetadata` with `candidates` tokens generated so far; zero counts are left out, as the API does. */
export function usageMetadata(
  usage: Usage,
  candidates = usage.candidates,
): Record<string, unknown> {
  const now = { ...usage, candidates };
  const out: Record<string, unknown> = { promptTokenCount: usage.prompt.count.total };
  if (candidates > 0) out.candidatesTokenCount = candidates;
  out.totalTokenCount = totalTokens(now);
  if (usage.prompt.cached > 0) out.cachedContentTokenCount = usage.prompt.cached;
  out.promptTokensDetails = modalityDetails(usage.prompt.count);
  if (usage.prompt.cached > 0) {
    out.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: usage.prompt.cached }];
  }
  if (usage.thoughts > 0) out.thoughtsTokenCount = usage.thoughts;
  if (usage.toolUsePrompt > 0) out.toolUsePromptTokenCount = usage.toolUsePrompt;
  return out;
}

export interface ResponseFrame {
  parts: ResponsePart[];
  finishReason: string | undefined;
  /** Candidate tokens generated up to and including this frame. */
  candidatesSoFar: number;
}

/** One response body. */
export function responseBody(
  frame: ResponseFrame,
  usage: Usage,
  modelVersion: string,
  responseId: string,
): Record<string, unknown> {
  const content: Record<string, unknown> =
    frame.parts.length > 0 ? { parts: frame.parts, role: 'model' } : { role: 'model' };
  const candidate: Record<string, unknown> = { content };
  if (frame.finishReason !== undefined) candidate.finishReason = frame.finishReason;
  candidate.index = 0;
  return {
    candidates: [candidate],
    usageMetadata: usageMetadata(usage, frame.candidatesSoFar),
    modelVersion,
    responseId,
  };
}

function answerParts(turn: ModelTurn): ResponsePart[] {
  if (turn.functionCall) return [{ functionCall: turn.functionCall }];
  return turn.text === '' ? [] : [{ text: turn.text }];
}

/** The whole answer in one body (unary generateContent). */
export function unaryFrame(turn: ModelTurn): ResponseFrame {
  const parts = answerParts(turn);
  if (turn.thoughtSummary !== undefined)
    parts.unshift({ text: turn.thoughtSummary, thought: true });
  return { parts, finishReason: turn.finishReason, candidatesSoFar: turn.usage.candidates };
}

/**
 * The answer as stream frames: the thought summary (if any), then the text in pieces of
 * `chunkTokens`, the last carrying `finishReason`. A function call or an empty answer is one frame.
 */
export function streamFrames(turn: ModelTurn, chunkTokens: number): ResponseFrame[] {
  const frames: ResponseFrame[] = [];
  if (turn.thoughtSummary !== undefined) {
    frames.push({
      parts: [{ text: turn.thoughtSummary, thought: true }],
      finishReason: undefined,
      candidatesSoFar: 0,
    });
  }
  if (turn.functionCall || turn.text === '') {
    frames.push({
      parts: answerParts(turn),
      finishReason: turn.finishReason,
      candidatesSoFar: turn.usage.candidates,
    });
    return frames;
  }
  const pieces = splitText(turn.text, chunkTokens);
  let chars = 0;
  pieces.forEach((piece, i) => {
    chars += piece.length;
    const last = i === pieces.length - 1;
    frames.push({
      parts: [{ text: piece }],
      finishReason: last ? turn.finishReason : undefined,
      candidatesSoFar: last ? turn.usage.candidates : Math.ceil(chars / 4),
    });
  });
  return frames;
}
