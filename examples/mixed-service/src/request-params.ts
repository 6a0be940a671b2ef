import type { Lane, Priority } from '@gemini-lanes/core';
import type { RouteHint } from '@gemini-lanes/lanes';
import type { Content, EmbedContentParameters, GenerateContentParameters } from '@google/genai';
import { badRequest } from './http/http-error.js';

type Body = Record<string, unknown>;

/** A generate request as the service's routes take it, and how the caller wants it routed. */
export interface GenerateRequest {
  params: GenerateContentParameters;
  priority?: Priority;
  lane?: Lane;
  hint?: RouteHint;
}

function optional<T>(
  body: Body,
  field: string,
  check: (value: unknown) => value is T,
  expected: string,
): T | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!check(value))
    throw badRequest(`${field} must be ${expected} (got ${JSON.stringify(value)})`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const oneOf =
  <const T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (values as readonly string[]).includes(v);

const ROLES = { user: 'user', model: 'model', assistant: 'model' } as const;

/** `messages: [{ role, content }]` (`system` messages become the system instruction) or `prompt`. */
function conversation(body: Body): { contents: Content[]; system: string[] } {
  const { messages, prompt } = body;
  if ((messages === undefined) === (prompt === undefined)) {
    throw badRequest('send either messages ([{ role, content }]) or prompt (a string)');
  }
  if (prompt !== undefined) {
    if (!isString(prompt)) throw badRequest('prompt must be a non-empty string');
    return { contents: [{ role: 'user', parts: [{ text: prompt }] }], system: [] };
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest('messages must be a non-empty array of { role, content }');
  }
  const contents: Content[] = [];
  const system: string[] = [];
  messages.forEach((message: unknown, i) => {
    const m = (typeof message === 'object' && message !== null ? message : {}) as Body;
    if (!isString(m.content)) throw badRequest(`messages[${i}].content must be a non-empty string`);
    if (m.role === 'system') {
      system.push(m.content);
      return;
    }
    const role = ROLES[m.role as keyof typeof ROLES];
    if (role === undefined) {
      throw badRequest(`messages[${i}].role must be user, assistant, model or system`);
    }
    contents.push({ role, parts: [{ text: m.content }] });
  });
  if (contents.length === 0) throw badRequest('messages must hold at least one user message');
  return { contents, system };
}

/**
 * `POST /chat` and `POST /generate` bodies: `{ messages | prompt, model?, system?, temperature?,
 * maxOutputTokens?, thinkingBudget?, priority? }`, plus `lane?` and `hint?` where routing is
 * the caller's to choose (`/generate`).
 */
export function generateRequest(
  body: Body,
  defaultModel: string,
  options: { routing: boolean },
): GenerateRequest {
  const { contents, system } = conversation(body);
  const extraSystem = optional(body, 'system', isString, 'a non-empty string');
  if (extraSystem !== undefined) system.unshift(extraSystem);
  const model = optional(body, 'model', isString, 'a model name') ?? defaultModel;
  const temperature = optional(body, 'temperature', isNumber, 'a number');
  const maxOutputTokens = optional(body, 'maxOutputTokens', isCount, 'an integer > 0');
  const thinkingBudget = optional(
    body,
    'thinkingBudget',
    (v): v is number => Number.isSafeInteger(v) && (v as number) >= -1,
    'an integer >= -1',
  );
  const config: NonNullable<GenerateContentParameters['config']> = {};
  if (system.length > 0) config.systemInstruction = system.join('\n\n');
  if (temperature !== undefined) config.temperature = temperature;
  if (maxOutputTokens !== undefined) config.maxOutputTokens = maxOutputTokens;
  if (thinkingBudget !== undefined) config.thinkingConfig = { thinkingBudget };
  const request: GenerateRequest = { params: { model, contents, config } };
  const priority = optional(
    body,
    'priority',
    oneOf(['high', 'normal', 'low']),
    'high, normal or low',
  );
  if (priority !== undefined) request.priority = priority;
  if (options.routing) {
    const lane = optional(body, 'lane', oneOf(['latency', 'throughput']), 'latency or throughput');
    if (lane !== undefined) request.lane = lane;
    const hint = optional(body, 'hint', oneOf(['interactive', 'batch']), 'interactive or batch');
    if (hint !== undefined) request.hint = hint;
  } else {
    for (const field of ['lane', 'hint']) {
      if (body[field] !== undefined) throw badRequest(`${field} is not taken here: use /generate`);
    }
  }
  return request;
}

/** `POST /embed` bodies: `{ texts: string[] | text: string, model?, taskType?, dimensions? }`. */
export function embedRequest(body: Body, defaultModel: string): EmbedContentParameters {
  const { texts, text } = body;
  if ((texts === undefined) === (text === undefined)) {
    throw badRequest('send either texts (an array of strings) or text (a string)');
  }
  let contents: string[];
  if (text !== undefined) {
    if (!isString(text)) throw badRequest('text must be a non-empty string');
    contents = [text];
  } else {
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every(isString)) {
      throw badRequest('texts must be a non-empty array of non-empty strings');
    }
    contents = texts;
  }
  const model = optional(body, 'model', isString, 'a model name') ?? defaultModel;
  const taskType = optional(body, 'taskType', isString, 'a task type such as RETRIEVAL_DOCUMENT');
  const dimensions = optional(body, 'dimensions', isCount, 'an integer > 0');
  const config: NonNullable<EmbedContentParameters['config']> = {};
  if (taskType !== undefined) config.taskType = taskType;
  if (dimensions !== undefined) config.outputDimensionality = dimensions;
  return { model, contents, config };
}
