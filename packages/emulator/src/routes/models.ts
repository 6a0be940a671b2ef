/** `models.get` and `models.list`, and the model lookup every model route starts with. */
import type { ApiCall } from '../api-call.js';
import type { EmulatorContext, ModelRuntime } from '../context.js';
import { modelNotFound } from '../errors.js';

/** The served model a call names, or the API's 404 when it is unknown or of the wrong kind. */
export function requireModel(
  ctx: EmulatorContext,
  call: ApiCall,
  kind: 'generate' | 'embed' | 'any',
  method: string,
): ModelRuntime {
  const name = call.match.resource.startsWith('models/')
    ? call.match.resource.slice(7)
    : call.match.resource;
  const runtime = ctx.models.get(name);
  if (runtime === undefined || (kind !== 'any' && runtime.profile.kind !== kind)) {
    throw modelNotFound(name, call.match.version, method);
  }
  call.model = name;
  return runtime;
}

function resource(runtime: ModelRuntime): Record<string, unknown> {
  const { profile } = runtime;
  const generate = profile.kind === 'generate';
  return {
    name: `models/${runtime.name}`,
    version: '001',
    displayName: profile.displayName,
    description: `${profile.displayName}, served by the gemini-lanes emulator.`,
    inputTokenLimit: profile.inputTokenLimit,
    outputTokenLimit: profile.outputTokenLimit,
    supportedGenerationMethods: generate
      ? ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent']
      : ['embedContent', 'countTokens'],
    ...(generate
      ? {
          temperature: 1,
          topP: 0.95,
          topK: 64,
          maxTemperature: 2,
          thinking: profile.thinking !== 'default-off',
        }
      : {}),
  };
}

export function getModel(ctx: EmulatorContext, call: ApiCall): void {
  call.json(200, resource(requireModel(ctx, call, 'any', 'get')));
}

export function listModels(ctx: EmulatorContext, call: ApiCall): void {
  call.json(200, { models: [...ctx.models.values()].map(resource) });
}
