/**
 * Maps a method and path to one of the API's routes, the way the SDK builds them:
 * `/{version}/models/{model}:{method}`, `/{version}/batches/{id}[:cancel]`,
 * `/{version}/files/{id}[:download]`, `/upload/{version}/files` and `/download/...`. The Batch
 * and Files APIs exist on `v1beta` (and `v1alpha`) only, as on the real service.
 */

export type RouteName =
  | 'generateContent'
  | 'streamGenerateContent'
  | 'countTokens'
  | 'batchEmbedContents'
  | 'embedContent'
  | 'batchGenerateContent'
  | 'models.get'
  | 'models.list'
  | 'batches.get'
  | 'batches.list'
  | 'batches.cancel'
  | 'batches.delete'
  | 'files.upload'
  | 'files.get'
  | 'files.list'
  | 'files.delete'
  | 'files.download';

export interface RouteMatch {
  route: RouteName;
  version: string;
  /** The model id (without `models/`), the batch id or the file id the path names. */
  resource: string;
}

const VERSIONS = new Set(['v1', 'v1beta', 'v1alpha']);
const BETA_VERSIONS = new Set(['v1beta', 'v1alpha']);

const MODEL_METHODS: Record<string, RouteName> = {
  generateContent: 'generateContent',
  streamGenerateContent: 'streamGenerateContent',
  countTokens: 'countTokens',
  batchEmbedContents: 'batchEmbedContents',
  embedContent: 'embedContent',
  batchGenerateContent: 'batchGenerateContent',
};

/** Routes that call a model, where fault rates apply and generation happens. */
export const MODEL_CALLS: ReadonlySet<RouteName> = new Set([
  'generateContent',
  'streamGenerateContent',
  'countTokens',
  'batchEmbedContents',
  'embedContent',
]);

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function split(segment: string): [string, string | undefined] {
  const colon = segment.indexOf(':');
  return colon < 0 ? [segment, undefined] : [segment.slice(0, colon), segment.slice(colon + 1)];
}

/** The route for `method` and `path` (without the query), or undefined for anything else. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const raw = path.split('/');
  if (raw[0] !== '' || raw.length < 3) return undefined;
  const segments: string[] = [];
  for (const s of raw.slice(1)) {
    const d = decode(s);
    if (d === undefined || d === '') return undefined;
    segments.push(d);
  }
  const [first, second, third, fourth, ...rest] = segments;
  if (first === 'upload' || first === 'download') {
    if (second === undefined || !BETA_VERSIONS.has(second) || third !== 'files') return undefined;
    if (first === 'upload' && fourth === undefined && method === 'POST') {
      return { route: 'files.upload', version: second, resource: '' };
    }
    if (first === 'download' && fourth !== undefined && rest.length === 0 && method === 'GET') {
      const [id, verb] = split(fourth);
      if (verb === 'download') return { route: 'files.download', version: second, resource: id };
    }
    return undefined;
  }
  if (first === undefined || !VERSIONS.has(first) || rest.length > 0 || fourth !== undefined)
    return undefined;
  const version = first;
  if (second === 'models') {
    if (third === undefined)
      return method === 'GET' ? { route: 'models.list', version, resource: '' } : undefined;
    const [model, verb] = split(third);
    if (verb === undefined)
      return method === 'GET' ? { route: 'models.get', version, resource: model } : undefined;
    const route = Object.hasOwn(MODEL_METHODS, verb) ? MODEL_METHODS[verb] : undefined;
    if (route === undefined || method !== 'POST') return undefined;
    if (route === 'batchGenerateContent' && !BETA_VERSIONS.has(version)) return undefined;
    return { route, version, resource: model };
  }
  if (!BETA_VERSIONS.has(version)) return undefined;
  if (second === 'batches') {
    if (third === undefined)
      return method === 'GET' ? { route: 'batches.list', version, resource: '' } : undefined;
    const [id, verb] = split(third);
    if (verb === 'cancel' && method === 'POST')
      return { route: 'batches.cancel', version, resource: id };
    if (verb !== undefined) return undefined;
    if (method === 'GET') return { route: 'batches.get', version, resource: id };
    if (method === 'DELETE') return { route: 'batches.delete', version, resource: id };
    return undefined;
  }
  if (second === 'files') {
    if (third === undefined)
      return method === 'GET' ? { route: 'files.list', version, resource: '' } : undefined;
    const [id, verb] = split(third);
    if (verb === 'download' && method === 'GET')
      return { route: 'files.download', version, resource: id };
    if (verb !== undefined) return undefined;
    if (method === 'GET') return { route: 'files.get', version, resource: id };
    if (method === 'DELETE') return { route: 'files.delete', version, resource: id };
  }
  return undefined;
}
