import type { Content, ContentListUnion, Part } from '@google/genai';

function isContent(value: unknown): value is Content {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { parts?: unknown }).parts)
  );
}

function isPart(value: unknown): value is Part | string {
  return typeof value === 'string' || (typeof value === 'object' && value !== null);
}

function asContent(item: unknown): Content | undefined {
  if (isContent(item)) return item;
  if (!isPart(item) || Array.isArray(item)) return undefined;
  return { role: 'user', parts: [typeof item === 'string' ? { text: item } : item] };
}

/**
 * The contents one `embedContent` call embeds, one per embedding the Gemini API returns, as
 * `@google/genai` 3 builds them for `:batchEmbedContents`: a string, a `Part` or a `Content` is
 * one content, and an array is one content per item. `gemini-embedding-2` models are the
 * exception: the SDK joins their parts into one multimodal content, so an array of parts is one
 * content there, and an array of `Content`s one each. Returns `undefined` for input the SDK
 * would refuse or treat specially (empty, mixed, nested), which the lane then sends on its own
 * so the SDK reports it exactly as it would have.
 */
export function embedContentsOf(model: string, contents: ContentListUnion): Content[] | undefined {
  if (contents === undefined || contents === null || contents === '') return undefined;
  const items: unknown[] = Array.isArray(contents) ? contents : [contents];
  if (items.length === 0) return undefined;
  if (model.includes('gemini-embedding-2')) {
    const contentCount = items.filter(isContent).length;
    if (contentCount === items.length) return items as Content[];
    if (contentCount > 0) return undefined;
    if (!items.every((item) => isPart(item) && !Array.isArray(item))) return undefined;
    const parts = items.map((item) => (typeof item === 'string' ? { text: item } : (item as Part)));
    // The SDK refuses bare function call or response parts; let it say so.
    if (parts.some((p) => 'functionCall' in p || 'functionResponse' in p)) return undefined;
    return [{ role: 'user', parts }];
  }
  const out: Content[] = [];
  for (const item of items) {
    const content = asContent(item);
    if (content === undefined) return undefined;
    out.push(content);
  }
  return out;
}
