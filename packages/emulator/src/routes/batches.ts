/**
 * The Batch API: `:batchGenerateContent` with inline requests or a Files-API JSONL file, and
 * `batches/{id}` get, list, cancel and delete. Two emulator headers on create shape the outcome:
 * `x-emulator-batch-outcome: failed|expired` ends the job that way, and
 * `x-emulator-batch-errors: 0,3` makes those requests fail inside a job that succeeds.
 */
import type { ApiCall } from '../api-call.js';
import type { BatchItemInput } from '../batches.js';
import type { EmulatorContext } from '../context.js';
import { HttpError, invalidArgument, RpcCode } from '../errors.js';
import { paginate } from '../pagination.js';
import { parseBatchCreateRequest, parseGenerateRequest } from '../request-schema.js';
import { isRecord } from '../validation.js';
import { checkRequest } from './generate.js';
import { requireModel } from './models.js';

const OUTCOME_HEADER = 'x-emulator-batch-outcome';
const ERRORS_HEADER = 'x-emulator-batch-errors';

function batchNotFound(): HttpError {
  return new HttpError(404, 'NOT_FOUND', 'Requested entity was not found.');
}

interface RawItem {
  request: unknown;
  metadata: Record<string, unknown> | undefined;
  key: string | undefined;
  /** Set when the input line itself could not be read. */
  lineError: string | undefined;
}

function jsonlItems(bytes: Buffer): RawItem[] {
  const items: RawItem[] = [];
  const lines = bytes.toString('utf8').split('\n');
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      items.push({
        request: undefined,
        metadata: undefined,
        key: undefined,
        lineError: `Line ${index + 1} is not valid JSON.`,
      });
      return;
    }
    if (!isRecord(value)) {
      items.push({
        request: undefined,
        metadata: undefined,
        key: undefined,
        lineError: `Line ${index + 1} is not a JSON object.`,
      });
      return;
    }
    const key = typeof value.key === 'string' ? value.key : undefined;
    const metadata = isRecord(value.metadata) ? value.metadata : undefined;
    items.push({ request: value.request, metadata, key, lineError: undefined });
  });
  return items;
}

function failIndices(header: string): Set<number> {
  const indices = new Set<number>();
  if (header.trim() === '') return indices;
  for (const part of header.split(',')) {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < 0) {
      throw invalidArgument(
        `${ERRORS_HEADER} must list request indices such as 0,3 (got ${JSON.stringify(header)})`,
      );
    }
    indices.add(n);
  }
  return indices;
}

export function createBatch(ctx: EmulatorContext, call: ApiCall, body: unknown): void {
  const runtime = requireModel(ctx, call, 'generate', 'batchGenerateContent');
  const parsed = parseBatchCreateRequest(body);
  const outcomeText = call.header(OUTCOME_HEADER).trim().toLowerCase();
  const outcome = outcomeText === 'failed' || outcomeText === 'expired' ? outcomeText : undefined;
  if (outcome === undefined && outcomeText !== '') {
    throw invalidArgument(
      `${OUTCOME_HEADER} must be failed or expired (got ${JSON.stringify(outcomeText)})`,
    );
  }
  const fails = failIndices(call.header(ERRORS_HEADER));

  let raw: RawItem[];
  if (parsed.input.kind === 'file') {
    const file = ctx.files.require(parsed.input.fileName.slice('files/'.length));
    raw = jsonlItems(file.bytes);
    if (raw.length === 0)
      throw invalidArgument(`The input file ${parsed.input.fileName} has no requests.`);
  } else {
    raw = parsed.input.items.map((item) => ({ ...item, lineError: undefined }));
  }
  const items: BatchItemInput[] = raw.map((item) => {
    const base = { metadata: item.metadata, key: item.key };
    if (item.lineError !== undefined) {
      return {
        ok: false,
        error: { code: RpcCode.invalidArgument, message: item.lineError },
        ...base,
      };
    }
    try {
      const request = parseGenerateRequest(item.request);
      checkRequest(runtime, request);
      return { ok: true, request, ...base };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return {
        ok: false,
        error: { code: RpcCode.invalidArgument, message: error.body.error.message },
        ...base,
      };
    }
  });
  const id = ctx.batches.create({
    model: runtime.name,
    displayName: parsed.displayName,
    source:
      parsed.input.kind === 'file'
        ? { kind: 'file', fileName: parsed.input.fileName }
        : { kind: 'inline' },
    items,
    outcome,
    failIndices: fails,
  });
  ctx.metrics.batchesCreated++;
  call.json(200, ctx.batches.operation(id));
}

export function getBatch(ctx: EmulatorContext, call: ApiCall): void {
  const operation = ctx.batches.operation(call.match.resource);
  if (operation === undefined) throw batchNotFound();
  call.json(200, operation);
}

export function listBatches(ctx: EmulatorContext, call: ApiCall): void {
  const page = paginate(ctx.batches.ids(), call.query);
  call.json(200, {
    operations: page.items.map((id) => ctx.batches.operation(id)),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  });
}

export function cancelBatch(ctx: EmulatorContext, call: ApiCall): void {
  if (!ctx.batches.cancel(call.match.resource)) throw batchNotFound();
  call.json(200, {});
}

export function deleteBatch(ctx: EmulatorContext, call: ApiCall): void {
  if (!ctx.batches.delete(call.match.resource)) throw batchNotFound();
  call.json(200, {});
}
