import type { GenAIClientLike } from './genai-client.js';

export type ProviderName = 'gcp.gemini' | 'gcp.vertex_ai';

/** Which GenAI provider and server a client talks to. */
export interface Endpoint {
  provider: ProviderName;
  address: string;
  port: number;
}

const GEMINI_API = 'https://generativelanguage.googleapis.com/';
const VERTEX_GLOBAL = 'https://aiplatform.googleapis.com/';

/** `server.address` and `server.port` of a base URL (the scheme's default port when none). */
export function serverOf(baseUrl: string): { address: string; port: number } | undefined {
  try {
    const url = new URL(baseUrl);
    const port = url.port !== '' ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    // IPv6 hosts come bracketed in URL.hostname; server.address wants the bare address.
    const address = url.hostname.replace(/^\[(.*)\]$/, '$1');
    return { address, port };
  } catch {
    return undefined;
  }
}

/**
 * The provider (`gcp.vertex_ai` for a client created with `vertexai: true`, else `gcp.gemini`)
 * and the server its requests go to, from the client's resolved base URL.
 */
export function endpointOf(client: object): Endpoint {
  const genai = client as Partial<GenAIClientLike>;
  const vertex = genai.vertexai === true || genai.apiClient?.isVertexAI?.() === true;
  let baseUrl: string | undefined;
  try {
    baseUrl = genai.apiClient?.getBaseUrl?.();
  } catch {
    baseUrl = undefined;
  }
  const server =
    (baseUrl === undefined ? undefined : serverOf(baseUrl)) ??
    (serverOf(vertex ? VERTEX_GLOBAL : GEMINI_API) as { address: string; port: number });
  return { provider: vertex ? 'gcp.vertex_ai' : 'gcp.gemini', ...server };
}
