/**
 * The Files API as the SDK uses it: the resumable upload (a `start` POST that answers with
 * `x-goog-upload-url`, then `upload, finalize` POSTs of the bytes at offsets), `files/{id}` get,
 * list and delete, and `files/{id}:download?alt=media`.
 */
import type { ApiCall } from '../api-call.js';
import type { EmulatorContext } from '../context.js';
import { invalidArgument } from '../errors.js';
import { paginate } from '../pagination.js';
import { parseJsonBody } from '../request-body.js';
import { isRecord } from '../validation.js';

function optionalText(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidArgument(
      `Invalid value at 'file.${field}' (TYPE_STRING), ${JSON.stringify(value)}`,
    );
  return value;
}

function startUpload(ctx: EmulatorContext, call: ApiCall, body: Buffer): void {
  if (call.header('x-goog-upload-protocol').toLowerCase() !== 'resumable') {
    throw invalidArgument(
      'The emulator accepts the resumable upload protocol only (X-Goog-Upload-Protocol: resumable).',
    );
  }
  if (call.header('x-goog-upload-command').toLowerCase() !== 'start') {
    throw invalidArgument('A resumable upload begins with X-Goog-Upload-Command: start.');
  }
  const json = parseJsonBody(body);
  if (!isRecord(json))
    throw invalidArgument(
      'Invalid JSON payload received. Unknown name "": Root element must be a message.',
    );
  const file = json.file === undefined || json.file === null ? {} : json.file;
  if (!isRecord(file))
    throw invalidArgument(
      `Invalid value at 'file' (type.googleapis.com/google.ai.generativelanguage.v1beta.File), ${JSON.stringify(file)}`,
    );
  const sizeText =
    call.header('x-goog-upload-header-content-length') ||
    (typeof file.sizeBytes === 'string' ? file.sizeBytes : '');
  let declaredSize: number | undefined;
  if (sizeText !== '') {
    declaredSize = Number(sizeText);
    if (!Number.isSafeInteger(declaredSize) || declaredSize < 0) {
      throw invalidArgument(
        `X-Goog-Upload-Header-Content-Length must be a byte count (got ${JSON.stringify(sizeText)})`,
      );
    }
  }
  const mimeType =
    call.header('x-goog-upload-header-content-type') ||
    optionalText(file.mimeType, 'mime_type') ||
    'application/octet-stream';
  const sessionId = ctx.files.start({
    name: optionalText(file.name, 'name'),
    displayName: optionalText(file.displayName, 'display_name'),
    mimeType,
    declaredSize,
  });
  const url = `${ctx.baseUrl()}/upload/${call.match.version}/files?upload_id=${sessionId}&upload_protocol=resumable`;
  call.empty(200, {
    'x-goog-upload-status': 'active',
    'x-goog-upload-url': url,
    'x-goog-upload-control-url': url,
    'x-goog-upload-chunk-granularity': '8388608',
    'x-guploader-uploadid': sessionId,
  });
}

/** `POST /upload/{version}/files`: a new upload, or a step of one (`?upload_id=`). */
export function handleUpload(ctx: EmulatorContext, call: ApiCall, body: Buffer): void {
  const sessionId = call.query.get('upload_id');
  if (sessionId === null) {
    startUpload(ctx, call, body);
    return;
  }
  const offsetText = call.header('x-goog-upload-offset');
  const offset = offsetText === '' ? undefined : Number(offsetText);
  const progress = ctx.files.command(
    sessionId,
    call.header('x-goog-upload-command'),
    offset !== undefined && Number.isSafeInteger(offset) ? offset : undefined,
    body,
  );
  if (progress.status === 'final') {
    call.json(
      200,
      { file: ctx.files.resource(progress.file, ctx.baseUrl(), call.match.version) },
      { 'x-goog-upload-status': 'final', 'x-goog-upload-size-received': String(progress.received) },
    );
    return;
  }
  call.empty(200, {
    'x-goog-upload-status': progress.status,
    'x-goog-upload-size-received': String(progress.received),
  });
}

export function getFile(ctx: EmulatorContext, call: ApiCall): void {
  const file = ctx.files.require(call.match.resource);
  call.json(200, ctx.files.resource(file, ctx.baseUrl(), call.match.version));
}

export function listFiles(ctx: EmulatorContext, call: ApiCall): void {
  const page = paginate(ctx.files.list(), call.query, 10, 100);
  call.json(200, {
    files: page.items.map((f) => ctx.files.resource(f, ctx.baseUrl(), call.match.version)),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  });
}

export function deleteFile(ctx: EmulatorContext, call: ApiCall): void {
  ctx.files.delete(call.match.resource);
  call.json(200, {});
}

export function downloadFile(ctx: EmulatorContext, call: ApiCall): void {
  const file = ctx.files.require(call.match.resource);
  if (call.query.get('alt') !== 'media') {
    call.json(200, ctx.files.resource(file, ctx.baseUrl(), call.match.version));
    return;
  }
  call.bytes(200, file.bytes, file.mimeType);
}
