import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { GenerateContentParameters } from '@google/genai';
import type { ReplayableJobSource } from './job-types.js';
import { readLineBatches } from './jsonl-lines.js';

/** A line of input, read and checked: a request to run, or why it is not one. */
export type JobInputRecord =
  | { line: number; id: string; request: GenerateContentParameters; invalid?: undefined }
  | { line: number; id: string | undefined; request?: undefined; invalid: string };

/** An input record and the source position after it (what a watermark is made of). */
export interface PositionedRecord {
  record: JobInputRecord;
  /** Bytes for a file, items for an iterable. */
  end: number;
}

/** Where a resumed source starts: a position and the number of lines before it. */
export interface SourcePosition {
  position: number;
  line: number;
}

/** What a checkpoint records of its input, to refuse a resume against another one. */
export type SourceIdentity =
  | { type: 'jsonl-file'; path: string; size: number; sha256: string }
  | { type: 'replayable'; identity: string };

/** A job input as the runner sees it. */
export interface JobSource {
  readonly resumable: boolean;
  identity(): Promise<SourceIdentity | undefined>;
  /** Input bytes, when known. */
  totalBytes(): number | undefined;
  /** The records from `from` on, in batches (a file: up to 64 lines each). */
  open(from: SourcePosition): AsyncIterator<PositionedRecord[]>;
}

const FILE_SOURCE = Symbol.for('gemini-lanes.jobs.jsonl-file');
const BLANK = /^\s*$/;
/** Bytes hashed at each end of an input file to notice it changed. */
const IDENTITY_BYTES = 64 * 1024;
/**
 * A file is read this many bytes at a time, and its lines parsed at most this many at a time:
 * a batch waits in memory until the runner has admitted every line of it, and at thousands of
 * lines a second a larger one (a 256 KiB chunk is about 800 requests) outlives two young-
 * generation GCs and is promoted to old space, to be collected only by a full GC.
 */
const READ_CHUNK_BYTES = 64 * 1024;
const PARSE_BATCH_LINES = 64;

/** What a job reads from: a JSONL path, `readJsonl(path)`, a replayable source or an iterable. */
export type JobInput = string | ReplayableJobSource | AsyncIterable<unknown> | Iterable<unknown>;

/** A JSONL input file; iterating it yields its checked records. */
export interface JsonlFileSource extends AsyncIterable<JobInputRecord> {
  readonly path: string;
}

/**
 * A JSONL file of `{ id, request }` lines as a job input (resumable, read by byte offset). As an
 * async iterable it yields each line checked: a request, or why the line is not one.
 */
export function readJsonl(path: string, options: { maxLineBytes?: number } = {}): JsonlFileSource {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return {
    path,
    [FILE_SOURCE]: true,
    async *[Symbol.asyncIterator]() {
      const source = fileSource(path, maxLineBytes);
      const iterator = source.open({ position: 0, line: 0 });
      try {
        for (;;) {
          const next = await iterator.next();
          if (next.done) return;
          for (const { record } of next.value) yield record;
        }
      } finally {
        await iterator.return?.();
      }
    },
  } as JsonlFileSource;
}

export const DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024;

export function isJsonlFileSource(value: unknown): value is JsonlFileSource {
  return typeof value === 'object' && value !== null && FILE_SOURCE in value;
}

export function isReplayableSource(value: unknown): value is ReplayableJobSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { replayFrom?: unknown }).replayFrom === 'function' &&
    typeof (value as { identity?: unknown }).identity === 'string'
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Checks one parsed input value: `{ id, request: { model, contents, config? } }`. */
export function toRecord(value: unknown, line: number): JobInputRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, id: undefined, invalid: `line ${line} is ${describe(value)}, not an object` };
  }
  const { id: rawId, request } = value as { id?: unknown; request?: unknown };
  const id =
    typeof rawId === 'string' && rawId.length > 0
      ? rawId
      : typeof rawId === 'number' && Number.isFinite(rawId)
        ? String(rawId)
        : undefined;
  if (id === undefined) {
    return {
      line,
      id: undefined,
      invalid: `line ${line}: "id" must be a non-empty string or a number (got ${rawId === undefined ? 'none' : describe(rawId)})`,
    };
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return {
      line,
      id,
      invalid: `line ${line}: "request" must be an object (got ${request === undefined ? 'none' : describe(request)})`,
    };
  }
  const { model, contents } = request as { model?: unknown; contents?: unknown };
  if (typeof model !== 'string' || model.length === 0) {
    return { line, id, invalid: `line ${line}: "request.model" must be a non-empty string` };
  }
  if (contents === undefined || contents === null) {
    return { line, id, invalid: `line ${line}: "request.contents" is missing` };
  }
  return { line, id, request: request as GenerateContentParameters };
}

function parseLine(text: string, line: number): JobInputRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      line,
      id: undefined,
      invalid: `line ${line} is not valid JSON: ${(error as Error).message}`,
    };
  }
  return toRecord(value, line);
}

async function fileIdentity(path: string): Promise<SourceIdentity> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const hash = createHash('sha256');
    const head = Buffer.alloc(Math.min(size, IDENTITY_BYTES));
    await file.read(head, 0, head.length, 0);
    hash.update(head);
    if (size > IDENTITY_BYTES) {
      const tail = Buffer.alloc(Math.min(size - IDENTITY_BYTES, IDENTITY_BYTES));
      await file.read(tail, 0, tail.length, size - tail.length);
      hash.update(tail);
    }
    return { type: 'jsonl-file', path: resolve(path), size, sha256: hash.digest('hex') };
  } finally {
    await file.close();
  }
}

/** A JSONL file: positions are byte offsets; blank lines are skipped but counted. */
export function fileSource(path: string, maxLineBytes: number): JobSource {
  let size: number | undefined;
  return {
    resumable: true,
    async identity() {
      const identity = await fileIdentity(path);
      if (identity.type === 'jsonl-file') size = identity.size;
      return identity;
    },
    totalBytes: () => size,
    open(from) {
      return (async function* (): AsyncGenerator<PositionedRecord[]> {
        const file: FileHandle = await open(path, 'r');
        try {
          for await (const lines of readLineBatches(file, {
            from: { offset: from.position, line: from.line },
            maxLineBytes,
            chunkBytes: READ_CHUNK_BYTES,
          })) {
            let batch: PositionedRecord[] = [];
            for (const raw of lines) {
              if (raw.text === undefined) {
                const invalid = `line ${raw.number} is ${raw.bytes} bytes, more than maxLineBytes ${maxLineBytes}`;
                batch.push({ record: { line: raw.number, id: undefined, invalid }, end: raw.end });
              } else if (!BLANK.test(raw.text)) {
                batch.push({ record: parseLine(raw.text, raw.number), end: raw.end });
              }
              if (batch.length >= PARSE_BATCH_LINES) {
                yield batch;
                batch = [];
              }
            }
            if (batch.length > 0) yield batch;
          }
        } finally {
          await file.close();
        }
      })();
    },
  };
}

/** An iterable: positions count items; resumable only when it can replay from a position. */
export function iterableSource(
  items: AsyncIterable<unknown> | Iterable<unknown> | ReplayableJobSource,
): JobSource {
  const replayable = isReplayableSource(items) ? items : undefined;
  return {
    resumable: replayable !== undefined,
    identity: async () =>
      replayable === undefined ? undefined : { type: 'replayable', identity: replayable.identity },
    totalBytes: () => undefined,
    open(from) {
      const iterable =
        replayable === undefined
          ? (items as AsyncIterable<unknown> | Iterable<unknown>)
          : replayable.replayFrom(from.position);
      return (async function* (): AsyncGenerator<PositionedRecord[]> {
        let line = from.line;
        for await (const item of iterable) {
          line += 1;
          yield [{ record: toRecord(item, line), end: line }];
        }
      })();
    },
  };
}

/** Why `current` is not the input `recorded` names, or undefined when it is. */
export function sameSource(
  recorded: SourceIdentity,
  current: SourceIdentity | undefined,
): string | undefined {
  if (current === undefined || recorded.type !== current.type) return 'a different kind of input';
  if (recorded.type === 'jsonl-file' && current.type === 'jsonl-file') {
    if (recorded.size !== current.size) {
      return `its size was ${recorded.size} bytes, now ${current.size}`;
    }
    if (recorded.sha256 !== current.sha256) return 'its first or last 64 KiB changed';
    return undefined;
  }
  if (recorded.type === 'replayable' && current.type === 'replayable') {
    return recorded.identity === current.identity
      ? undefined
      : `identity ${JSON.stringify(recorded.identity)}, now ${JSON.stringify(current.identity)}`;
  }
  return 'a different kind of input';
}

/** A file's size, or undefined when it does not exist. */
export async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The source a job input reads through, and whether it is a file; throws for anything else. */
export function jobSourceOf(
  input: JobInput,
  maxLineBytes: number,
  caller: string,
): { source: JobSource; fileInput: boolean } {
  if (typeof input === 'string' || isJsonlFileSource(input)) {
    return {
      source: fileSource(typeof input === 'string' ? input : input.path, maxLineBytes),
      fileInput: true,
    };
  }
  if (
    typeof input === 'object' &&
    input !== null &&
    ('replayFrom' in input || Symbol.asyncIterator in input || Symbol.iterator in input)
  ) {
    return { source: iterableSource(input), fileInput: false };
  }
  throw new TypeError(
    `${caller}: the source must be a JSONL path, readJsonl(path), a ReplayableJobSource or an iterable`,
  );
}
