/**
 * GenAI span attributes (semantic conventions v1.41) that only spans carry, so the metric
 * catalog in `@gemini-lanes/core` (which lists metric attributes) does not hold them. They are
 * pinned here, by hand, to the same version as the catalog's `SCHEMA_URL`, rather than taken
 * from `@opentelemetry/semantic-conventions/incubating`, whose `gen_ai` constants are
 * deprecated and move with every release. Metric attribute keys come from core's `ATTR`.
 */
export const GENAI_SPAN_ATTR = {
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestFrequencyPenalty: 'gen_ai.request.frequency_penalty',
  requestPresencePenalty: 'gen_ai.request.presence_penalty',
  requestSeed: 'gen_ai.request.seed',
  requestChoiceCount: 'gen_ai.request.choice.count',
  outputType: 'gen_ai.output.type',
  embeddingsDimensionCount: 'gen_ai.embeddings.dimension.count',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  systemInstructions: 'gen_ai.system_instructions',
} as const;
