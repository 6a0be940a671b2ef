import type { PricingTier } from '@gemini-lanes/core';

/** The parts of a call's first argument (`GenerateContentParameters` and the like) that are read. */
export interface ParamsLike {
  model?: unknown;
  contents?: unknown;
  config?: {
    serviceTier?: unknown;
    systemInstruction?: unknown;
    abortSignal?: unknown;
  } & Record<string, unknown>;
}

/** A pricing tier named by a request's or a response's `serviceTier` (`flex`, `standard`). */
export function tierOf(name: unknown): PricingTier | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.toLowerCase();
  if (lower === 'flex') return 'flex';
  if (lower === 'standard') return 'standard';
  return undefined;
}

/**
 * Whether the SDK may run automatic function calling for this config: a callable tool (one
 * with `callTool`) among the tools, and automatic function calling not disabled.
 */
export function automaticFunctionCalling(config: ParamsLike['config']): boolean {
  const tools = (config as { tools?: unknown } | undefined)?.tools;
  if (!Array.isArray(tools)) return false;
  const afc = (config as { automaticFunctionCalling?: { disable?: unknown } })
    .automaticFunctionCalling;
  if (afc?.disable === true) return false;
  return tools.some(
    (tool) =>
      typeof tool === 'object' &&
      tool !== null &&
      typeof (tool as { callTool?: unknown }).callTool === 'function',
  );
}

/** Whether the call's own `httpOptions` ask the SDK to retry. */
export function retriesAsked(config: ParamsLike['config']): boolean {
  const httpOptions = (config as { httpOptions?: { retryOptions?: unknown } } | undefined)
    ?.httpOptions;
  return httpOptions?.retryOptions !== undefined;
}
