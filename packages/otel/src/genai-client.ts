/**
 * The parts of a `@google/genai` `GoogleGenAI` client the instrumentation touches, described
 * structurally: library code depends on the SDK's behaviour (a peer dependency), never on its
 * types, so any 3.x release with these members works.
 */
export type AsyncMethod = (this: unknown, ...args: never[]) => Promise<unknown>;

export interface GenAIApiClientLike {
  isVertexAI?: () => boolean;
  getBaseUrl?: () => string;
  /**
   * The one function every HTTP round trip of the client goes through (retries included),
   * given the `fetch` to use: the instrumentation observes round trips here, so the SDK's own
   * choice of dispatcher and timeouts for a client without a custom `fetch` is unchanged.
   */
  apiCall?: (
    url: string,
    init: RequestInit,
    retryOptions: unknown,
    timeout: unknown,
    abortSignal: unknown,
    fetchFn: typeof fetch | undefined,
  ) => Promise<Response>;
}

export interface GenAIClientLike {
  vertexai?: boolean;
  apiKey?: string;
  apiClient?: GenAIApiClientLike;
  models: Record<string, unknown>;
  batches?: Record<string, unknown>;
}

/** Usage as the API reports it (`usageMetadata`), the fields that are counted. */
export interface UsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  promptTokensDetails?: ReadonlyArray<{ modality?: string; tokenCount?: number }>;
  cacheTokensDetails?: ReadonlyArray<{ modality?: string; tokenCount?: number }>;
  serviceTier?: string;
}

export interface PartLike {
  text?: string;
  thought?: boolean;
  functionCall?: { id?: string; name?: string; args?: unknown };
  functionResponse?: { id?: string; name?: string; response?: unknown };
  inlineData?: { mimeType?: string; data?: string };
  fileData?: { mimeType?: string; fileUri?: string };
  executableCode?: { code?: string; language?: string };
  codeExecutionResult?: { outcome?: string; output?: string };
}

export interface ContentLike {
  role?: string;
  parts?: PartLike[];
}

export interface CandidateLike {
  content?: ContentLike;
  finishReason?: string;
}

/** A `generateContent` response or stream chunk, or the raw REST body of one. */
export interface GenerateResponseLike {
  responseId?: string;
  modelVersion?: string;
  candidates?: CandidateLike[];
  usageMetadata?: UsageMetadata;
}

export function isGenAIClient(value: unknown): value is GenAIClientLike {
  if (typeof value !== 'object' || value === null) return false;
  const models = (value as { models?: unknown }).models;
  return (
    typeof models === 'object' &&
    models !== null &&
    typeof (models as { generateContent?: unknown }).generateContent === 'function' &&
    typeof (models as { generateContentStream?: unknown }).generateContentStream === 'function'
  );
}
