import type { Attributes } from '@opentelemetry/api';
import { GENAI_SPAN_ATTR } from './genai-attributes.js';
import type { Operation } from './operation.js';

interface GenerateConfigLike {
  temperature?: unknown;
  topP?: unknown;
  topK?: unknown;
  maxOutputTokens?: unknown;
  stopSequences?: unknown;
  seed?: unknown;
  candidateCount?: unknown;
  frequencyPenalty?: unknown;
  presencePenalty?: unknown;
  responseMimeType?: unknown;
  responseModalities?: unknown;
  outputDimensionality?: unknown;
}

function setNumber(attributes: Attributes, key: string, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) attributes[key] = value;
}

function outputType(config: GenerateConfigLike): string | undefined {
  const modalities = config.responseModalities;
  if (Array.isArray(modalities)) {
    if (modalities.includes('IMAGE')) return 'image';
    if (modalities.includes('AUDIO')) return 'speech';
  }
  if (config.responseMimeType === 'application/json') return 'json';
  if (config.responseMimeType === 'text/plain') return 'text';
  return undefined;
}

/**
 * Adds the request parameters the GenAI conventions name (`gen_ai.request.temperature`,
 * `…top_p`, `…top_k`, `…max_tokens`, `…stop_sequences`, `…seed`, `…choice.count` when not 1,
 * the penalties, `gen_ai.output.type`; `gen_ai.embeddings.dimension.count` for embeddings)
 * from a call's `config` to `attributes`. Only what the caller set is recorded.
 */
export function addRequestAttributes(
  attributes: Attributes,
  operation: Operation,
  config: unknown,
): void {
  if (typeof config !== 'object' || config === null) return;
  const c = config as GenerateConfigLike;
  if (operation === 'embeddings') {
    setNumber(attributes, GENAI_SPAN_ATTR.embeddingsDimensionCount, c.outputDimensionality);
    return;
  }
  if (operation !== 'generate_content') return;
  setNumber(attributes, GENAI_SPAN_ATTR.requestTemperature, c.temperature);
  setNumber(attributes, GENAI_SPAN_ATTR.requestTopP, c.topP);
  setNumber(attributes, GENAI_SPAN_ATTR.requestTopK, c.topK);
  setNumber(attributes, GENAI_SPAN_ATTR.requestMaxTokens, c.maxOutputTokens);
  setNumber(attributes, GENAI_SPAN_ATTR.requestSeed, c.seed);
  setNumber(attributes, GENAI_SPAN_ATTR.requestFrequencyPenalty, c.frequencyPenalty);
  setNumber(attributes, GENAI_SPAN_ATTR.requestPresencePenalty, c.presencePenalty);
  if (typeof c.candidateCount === 'number' && c.candidateCount !== 1) {
    attributes[GENAI_SPAN_ATTR.requestChoiceCount] = c.candidateCount;
  }
  if (Array.isArray(c.stopSequences) && c.stopSequences.every((s) => typeof s === 'string')) {
    attributes[GENAI_SPAN_ATTR.requestStopSequences] = c.stopSequences as string[];
  }
  const type = outputType(c);
  if (type !== undefined) attributes[GENAI_SPAN_ATTR.outputType] = type;
}
