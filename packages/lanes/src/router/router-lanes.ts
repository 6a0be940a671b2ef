import type {
  CountTokensParameters,
  CountTokensResponse,
  EmbedContentParameters,
  EmbedContentResponse,
  GenerateContentParameters,
  GenerateContentResponse,
} from '@google/genai';
import type { LatencyCallOptions } from '../latency/latency-lane.js';

/**
 * What the router needs of a latency lane: `createLatencyLane(...)` is one, and so is anything
 * with these methods (a test double, a lane wrapped by the caller).
 */
export interface RouterLatencyLane {
  generateContent(
    params: GenerateContentParameters,
    options?: LatencyCallOptions,
  ): Promise<GenerateContentResponse>;
  generateContentStream(
    params: GenerateContentParameters,
    options?: LatencyCallOptions,
  ): AsyncIterable<GenerateContentResponse>;
  countTokens(
    params: CountTokensParameters,
    options?: LatencyCallOptions,
  ): Promise<CountTokensResponse>;
}

/** The per-call options the router hands a throughput lane's generate calls. */
export interface RouterThroughputCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** The per-call options the router hands a throughput lane's `embedContent`. */
export interface RouterEmbedOptions {
  signal?: AbortSignal;
}

/**
 * What the router needs of a throughput lane, typed by shape so the router does not depend on
 * how the lane is built: `createThroughputLane(...)` is one, and so is anything with these methods.
 */
export interface RouterThroughputLane {
  generateContent(
    params: GenerateContentParameters,
    options?: RouterThroughputCallOptions,
  ): Promise<GenerateContentResponse>;
  generateContentStream(
    params: GenerateContentParameters,
    options?: RouterThroughputCallOptions,
  ): AsyncIterable<GenerateContentResponse>;
  embedContent(
    params: EmbedContentParameters,
    options?: RouterEmbedOptions,
  ): Promise<EmbedContentResponse>;
}
