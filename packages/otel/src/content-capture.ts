import type { CandidateLike, ContentLike, PartLike } from './genai-client.js';

/** The environment variable the GenAI instrumentations read to capture message content. */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

/** Whether content capture is on: the option when given, else the environment variable. */
export function captureContentEnabled(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  return process.env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase() === 'true';
}

/** A message part in the GenAI conventions' JSON structure (v1.41). */
export type MessagePart =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id: string | null; name: string; arguments: unknown }
  | { type: 'tool_call_response'; id: string | null; response: unknown }
  | { type: 'blob'; mime_type: string | null; modality: string; content: string }
  | { type: 'uri'; mime_type: string | null; modality: string; uri: string }
  | { type: string; [field: string]: unknown };

/** An entry of `gen_ai.input.messages`. */
export interface ChatMessage {
  role: string;
  parts: MessagePart[];
}

/** An entry of `gen_ai.output.messages`. */
export interface OutputMessage extends ChatMessage {
  finish_reason: string;
}

function modalityOf(mimeType: string | undefined): string {
  const major = mimeType?.split('/')[0];
  if (major === 'image' || major === 'video' || major === 'audio') return major;
  return 'document';
}

function partOf(part: PartLike): MessagePart | undefined {
  if (typeof part.text === 'string') {
    return part.thought === true
      ? { type: 'reasoning', content: part.text }
      : { type: 'text', content: part.text };
  }
  if (part.functionCall !== undefined) {
    return {
      type: 'tool_call',
      id: part.functionCall.id ?? null,
      name: part.functionCall.name ?? '',
      arguments: part.functionCall.args ?? null,
    };
  }
  if (part.functionResponse !== undefined) {
    return {
      type: 'tool_call_response',
      id: part.functionResponse.id ?? null,
      response: part.functionResponse.response ?? null,
    };
  }
  if (part.inlineData !== undefined) {
    return {
      type: 'blob',
      mime_type: part.inlineData.mimeType ?? null,
      modality: modalityOf(part.inlineData.mimeType),
      content: part.inlineData.data ?? '',
    };
  }
  if (part.fileData !== undefined) {
    return {
      type: 'uri',
      mime_type: part.fileData.mimeType ?? null,
      modality: modalityOf(part.fileData.mimeType),
      uri: part.fileData.fileUri ?? '',
    };
  }
  if (part.executableCode !== undefined) {
    return { type: 'executable_code', ...part.executableCode };
  }
  if (part.codeExecutionResult !== undefined) {
    return { type: 'code_execution_result', ...part.codeExecutionResult };
  }
  return undefined;
}

function partsOf(parts: readonly PartLike[] | undefined): MessagePart[] {
  const out: MessagePart[] = [];
  for (const part of parts ?? []) {
    const converted = partOf(part);
    if (converted !== undefined) out.push(converted);
  }
  return out;
}

function roleOf(content: ContentLike): string {
  if (content.role === 'model') return 'assistant';
  const parts = content.parts ?? [];
  if (parts.length > 0 && parts.every((p) => p.functionResponse !== undefined)) return 'tool';
  return content.role ?? 'user';
}

function isContent(value: unknown): value is ContentLike {
  return typeof value === 'object' && value !== null && ('parts' in value || 'role' in value);
}

function asPart(value: unknown): PartLike {
  return typeof value === 'string' ? { text: value } : (value as PartLike);
}

/**
 * `gen_ai.input.messages` from a call's `contents`, which the SDK accepts as a string, a part,
 * a list of parts (one user turn) or a list of contents (a conversation). Gemini's `model`
 * role is `assistant`; a user turn made only of function responses is a `tool` message.
 */
export function inputMessages(contents: unknown): ChatMessage[] {
  if (contents === undefined || contents === null) return [];
  const list = Array.isArray(contents) ? contents : [contents];
  if (list.length > 0 && list.every(isContent)) {
    return list.map((content: ContentLike) => ({
      role: roleOf(content),
      parts: partsOf(content.parts),
    }));
  }
  return [{ role: 'user', parts: partsOf(list.map(asPart)) }];
}

/** `gen_ai.system_instructions` from `config.systemInstruction` (a string, part(s) or content). */
export function systemInstructions(instruction: unknown): MessagePart[] {
  if (instruction === undefined || instruction === null) return [];
  if (isContent(instruction)) return partsOf(instruction.parts);
  const list = Array.isArray(instruction) ? instruction : [instruction];
  return partsOf(list.map(asPart));
}

/**
 * The conventions' finish reason for a Gemini candidate: `stop`, `length`, `content_filter`,
 * `tool_call` (the model asked for a function), `error`; other reasons lower-cased.
 */
export function finishReasonOf(candidate: CandidateLike): string {
  const parts = candidate.content?.parts ?? [];
  if (parts.some((p) => p.functionCall !== undefined)) return 'tool_call';
  switch (candidate.finishReason) {
    case undefined:
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
      return 'error';
    default:
      return candidate.finishReason.toLowerCase();
  }
}

/** `gen_ai.output.messages` from a response's candidates. */
export function outputMessages(candidates: readonly CandidateLike[] | undefined): OutputMessage[] {
  return (candidates ?? []).map((candidate) => ({
    role: 'assistant',
    parts: partsOf(candidate.content?.parts),
    finish_reason: finishReasonOf(candidate),
  }));
}

/**
 * Rebuilds whole candidates from stream chunks, only while content capture is on: text parts
 * that follow each other are joined, other parts kept as they came; the last finish reason wins.
 */
export class StreamedCandidates {
  readonly #candidates: Array<{ parts: PartLike[]; finishReason?: string }> = [];

  add(candidates: readonly CandidateLike[] | undefined): void {
    if (candidates === undefined) return;
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[i];
      if (candidate === undefined) continue;
      let into = this.#candidates[i];
      if (into === undefined) {
        into = { parts: [] };
        this.#candidates[i] = into;
      }
      for (const part of candidate.content?.parts ?? []) {
        const last = into.parts[into.parts.length - 1];
        if (
          last !== undefined &&
          typeof last.text === 'string' &&
          typeof part.text === 'string' &&
          (last.thought === true) === (part.thought === true)
        ) {
          into.parts[into.parts.length - 1] = { ...last, text: last.text + part.text };
        } else {
          into.parts.push(part);
        }
      }
      if (candidate.finishReason !== undefined) into.finishReason = candidate.finishReason;
    }
  }

  candidates(): CandidateLike[] {
    return this.#candidates.map((c) => {
      const candidate: CandidateLike = { content: { role: 'model', parts: c.parts } };
      if (c.finishReason !== undefined) candidate.finishReason = c.finishReason;
      return candidate;
    });
  }
}
