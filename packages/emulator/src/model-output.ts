/**
 * What the emulated model answers: text of a sampled length (or JSON that follows the response
 * schema), a `functionCall` while function-calling rounds remain, thinking that eats into
 * `maxOutputTokens` as Gemini 2.5 does, and the usage that goes with it. Every choice is drawn
 * from the request's own seeded stream, so a seed replays the same answers.
 */
import { type LatencySample, samplerOf } from './latency-model.js';
import type { ModelProfile } from './profiles.js';
import type { Random } from './random.js';
import type { FunctionCall, GenerateRequest } from './request-schema.js';
import {
  CHARS_PER_TOKEN,
  partTokens,
  requestTokens,
  type TokenCount,
  textTokens,
} from './tokens.js';
import { isRecord } from './validation.js';

/** Prompt-side usage, known before generation (the quota debits it). */
export interface PromptUsage {
  count: TokenCount;
  /** Part of `count.total` served from cache. */
  cached: number;
}

/** Final usage of one answer; `totalTokenCount` = prompt + candidates + thoughts + tool-use prompt. */
export interface Usage {
  prompt: PromptUsage;
  candidates: number;
  thoughts: number;
  toolUsePrompt: number;
}

export function totalTokens(usage: Usage): number {
  return usage.prompt.count.total + usage.candidates + usage.thoughts + usage.toolUsePrompt;
}

export type FinishReason = 'STOP' | 'MAX_TOKENS';

export interface ModelTurn {
  /** The answer text ('' for a function call or when thinking used up `maxOutputTokens`). */
  text: string;
  functionCall: FunctionCall | undefined;
  /** A thought summary, when `includeThoughts` asked for one. */
  thoughtSummary: string | undefined;
  finishReason: FinishReason;
  usage: Usage;
  /** Thinking time actually spent (shortened when a budget or `maxOutputTokens` cut thinking). */
  thinkingMs: number;
}

/** Tokens of the request as the model sees it, with cached content and implicit caching applied. */
export function promptUsage(request: GenerateRequest, profile: ModelProfile): PromptUsage {
  const count = requestTokens(request);
  if (request.cachedContent !== undefined && profile.cachedContentTokens > 0) {
    count.total += profile.cachedContentTokens;
    count.byModality.TEXT = (count.byModality.TEXT ?? 0) + profile.cachedContentTokens;
    return { count, cached: profile.cachedContentTokens };
  }
  if (profile.implicitCacheShare > 0 && count.total >= profile.implicitCacheMinTokens) {
    return { count, cached: Math.floor(count.total * profile.implicitCacheShare) };
  }
  return { count, cached: 0 };
}

/** Whether this request makes the model think. */
export function thinks(request: GenerateRequest, profile: ModelProfile): boolean {
  const budget = request.thinkingBudget;
  if (profile.kind !== 'generate') return false;
  if (profile.thinking === 'default-off') return budget !== undefined && budget !== 0;
  if (profile.thinking === 'required') return true;
  return budget !== 0;
}

const WORDS = (
  'the sky sun air sea map key way day new old big low top end run set fit use can may not all any ' +
  'few one two ten lab log job row bit net hub ink owl fox bee cat dog elm fig gem hat ice jar kit ' +
  'lid mix nut oak pan rod sum tea urn van web yak zip arc bay cog dew ear fan gap hue'
).split(' ');
const CAPITALISED = WORDS.map((w) => w.charAt(0).toUpperCase() + w.slice(1));
const SHORT = 'it so up on in at by to go do we us'.split(' ');

/**
 * Text of exactly `tokens` tokens under the counting rule: every unit is four characters
 * (a three-letter word and a space, or a two-letter word closing a sentence), and the last
 * unit ends the text with a full stop.
 */
export function wordsText(tokens: number, random: Random): string {
  let text = '';
  let sentenceLeft = 0;
  for (let i = 0; i < tokens; i++) {
    if (i === tokens - 1) {
      text += `${WORDS[random.int(0, WORDS.length - 1)]}.`;
    } else if (sentenceLeft === 0) {
      text += `${CAPITALISED[random.int(0, CAPITALISED.length - 1)]} `;
      sentenceLeft = random.int(5, 14);
    } else if (sentenceLeft === 1) {
      text += `${SHORT[random.int(0, SHORT.length - 1)]}. `;
      sentenceLeft = 0;
    } else {
      text += `${WORDS[random.int(0, WORDS.length - 1)]} `;
      sentenceLeft--;
    }
  }
  return text;
}

function schemaType(schema: Record<string, unknown>): string {
  const type = schema.type;
  if (Array.isArray(type)) {
    const first = type.find((t) => typeof t === 'string' && t.toLowerCase() !== 'null');
    return typeof first === 'string' ? first.toLowerCase() : 'null';
  }
  if (typeof type === 'string') return type.toLowerCase();
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return 'string';
}

/**
 * A value that conforms to a (Gemini `Schema` or JSON Schema) schema, for function-call
 * arguments and JSON answers. Unknown shapes get a string.
 */
export function valueForSchema(schema: unknown, random: Random, depth = 0): unknown {
  if (!isRecord(schema) || depth > 6) return wordsText(2, random);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    return schema.enum[random.int(0, schema.enum.length - 1)];
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0)
      return valueForSchema(options[0], random, depth + 1);
  }
  switch (schemaType(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      for (const [name, sub] of Object.entries(properties))
        out[name] = valueForSchema(sub, random, depth + 1);
      return out;
    }
    case 'array': {
      const count =
        typeof schema.minItems === 'number' && schema.minItems > 1
          ? Math.min(schema.minItems, 5)
          : random.int(1, 2);
      return Array.from({ length: count }, () => valueForSchema(schema.items, random, depth + 1));
    }
    case 'integer':
      return random.int(1, 100);
    case 'number':
      return Math.round(random.next() * 10_000) / 100;
    case 'boolean':
      return random.next() < 0.5;
    case 'null':
      return null;
    default:
      return schema.format === 'date-time'
        ? new Date(Date.UTC(2025, 0, random.int(1, 28))).toISOString()
        : wordsText(random.int(1, 3), random);
  }
}

/** How many function-call rounds the conversation has had: model turns that called a function. */
export function functionRoundsSoFar(request: GenerateRequest): number {
  let rounds = 0;
  for (const content of request.contents) {
    if (content.role === 'model' && content.parts.some((p) => p.functionCall !== undefined))
      rounds++;
  }
  return rounds;
}

const TOOL_USE_TOOLS = new Set([
  'googleSearch',
  'googleSearchRetrieval',
  'urlContext',
  'codeExecution',
  'fileSearch',
  'googleMaps',
]);

export interface TurnInputs {
  request: GenerateRequest;
  profile: ModelProfile;
  prompt: PromptUsage;
  latency: LatencySample;
  functionCallingRounds: number;
  random: Random;
}

/** The model's answer to one request. Draws in a fixed order from `random`. */
export function generateTurn(inputs: TurnInputs): ModelTurn {
  const { request, profile, prompt, latency, random } = inputs;
  const max = request.maxOutputTokens;
  const rate = latency.decodeTokensPerSecond;

  let thoughts = 0;
  let thinkingMs = 0;
  if (thinks(request, profile)) {
    thoughts = Math.max(1, Math.round((latency.thinkingMs / 1000) * rate));
    if (request.thinkingBudget !== undefined && request.thinkingBudget > 0) {
      thoughts = Math.min(thoughts, request.thinkingBudget);
    }
    // Gemini 2.5 counts thinking against maxOutputTokens: a small limit can leave no answer.
    if (max !== undefined) thoughts = Math.min(thoughts, max);
    thinkingMs = Math.min(latency.thinkingMs, (thoughts / rate) * 1000);
  }
  const toolUsePrompt = request.builtInTools.some((t) => TOOL_USE_TOOLS.has(t))
    ? random.int(100, 600)
    : 0;
  const desired = Math.max(1, Math.round(samplerOf(profile.outputTokens).sample(random)));
  const thoughtSummary =
    request.includeThoughts && thoughts > 0 ? wordsText(Math.min(thoughts, 24), random) : undefined;

  const base = { thoughtSummary, thinkingMs };
  const usageWith = (candidates: number): Usage => ({
    prompt,
    candidates,
    thoughts,
    toolUsePrompt,
  });

  const declarations = functionCandidates(request);
  if (
    declarations.length > 0 &&
    request.functionCallingMode !== 'NONE' &&
    (request.functionCallingMode === 'ANY' ||
      functionRoundsSoFar(request) < inputs.functionCallingRounds)
  ) {
    const decl = declarations[functionRoundsSoFar(request) % declarations.length];
    if (decl !== undefined) {
      const args = valueForSchema(decl.schema ?? { type: 'object' }, random);
      const functionCall: FunctionCall = {
        name: decl.name,
        args: isRecord(args) ? args : { value: args },
      };
      return {
        ...base,
        text: '',
        functionCall,
        finishReason: 'STOP',
        usage: usageWith(partTokens({ functionCall }).tokens),
      };
    }
  }

  const available = max === undefined ? Number.POSITIVE_INFINITY : max - thoughts;
  if (available <= 0) {
    return {
      ...base,
      text: '',
      functionCall: undefined,
      finishReason: 'MAX_TOKENS',
      usage: usageWith(0),
    };
  }
  const cap = Math.min(desired, available);
  let text: string;
  if (request.responseMimeType === 'application/json') {
    const value =
      request.responseSchema === undefined
        ? { answer: wordsText(Math.max(1, cap - 4), random) }
        : valueForSchema(request.responseSchema, random);
    text = JSON.stringify(value);
  } else if (request.responseMimeType === 'text/x.enum') {
    const value = valueForSchema(request.responseSchema, random);
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } else {
    text = wordsText(cap, random);
  }
  let finishReason: FinishReason = desired > available ? 'MAX_TOKENS' : 'STOP';
  if (textTokens(text) > available) {
    text = text.slice(0, available * CHARS_PER_TOKEN);
    finishReason = 'MAX_TOKENS';
  }
  return {
    ...base,
    text,
    functionCall: undefined,
    finishReason,
    usage: usageWith(textTokens(text)),
  };
}

function functionCandidates(request: GenerateRequest) {
  const allowed = request.allowedFunctionNames;
  return allowed === undefined
    ? request.functionDeclarations
    : request.functionDeclarations.filter((d) => allowed.includes(d.name));
}

/**
 * Splits text into stream pieces of `chunkTokens` tokens. Pieces are whole multiples of four
 * characters but the last, so the running token count after any piece is exact.
 */
export function splitText(text: string, chunkTokens: number): string[] {
  const size = chunkTokens * CHARS_PER_TOKEN;
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
