/** List pagination as the API does it: `pageSize` (capped) and an opaque `pageToken`. */
import { invalidArgument } from './errors.js';

export interface Page<T> {
  items: T[];
  nextPageToken: string | undefined;
}

/** The page of `items` that `pageSize` and `pageToken` in `query` ask for. */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  defaultSize = 50,
  maxSize = 1000,
): Page<T> {
  const sizeText = query.get('pageSize');
  let size = defaultSize;
  if (sizeText !== null && sizeText !== '') {
    const n = Number(sizeText);
    if (!Number.isInteger(n) || n < 0)
      throw invalidArgument(`Invalid value for page_size: ${JSON.stringify(sizeText)}`);
    if (n > 0) size = Math.min(n, maxSize);
  }
  let offset = 0;
  const token = query.get('pageToken');
  if (token !== null && token !== '') {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    const match = /^offset:(\d+)$/.exec(decoded);
    if (match === null) throw invalidArgument('Invalid page token.');
    offset = Number(match[1]);
  }
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return {
    items: page,
    nextPageToken:
      next < items.length ? Buffer.from(`offset:${next}`).toString('base64url') : undefined,
  };
}
