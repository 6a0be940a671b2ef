import type { GenerateContentParameters, InlinedRequest } from '@google/genai';
import { failure } from '../jobs/job-result.js';
import type { PositionedRecord, SourcePosition } from '../jobs/job-source.js';
import type { JobResult } from '../jobs/job-types.js';
import type { Chunking } from './batch-checkpoint.js';
import type { BatchCodec } from './batch-codec.js';
import { PartHash } from './batch-names.js';

/** One input line of a chunk. */
export interface ChunkLine {
  line: number;
  /** Its id, or `line:<n>` when it has none or repeats an earlier one. */
  id: string;
  /** Whether it has an id of its own. */
  named: boolean;
  /** Its result when it is not sent (an invalid line). */
  result?: JobResult;
  /** The part it is sent in. */
  part?: number;
}

/** A chunk's requests for one model: one batch (per submission). */
export interface PartPlan {
  index: number;
  model: string;
  /** Its input lines, in order. */
  lines: number[];
  hash: string;
}

/** Consecutive input lines, cut by the job's chunking; its requests are what its batches send. */
export interface Chunk {
  index: number;
  /** The source position before its first line, and after its last. */
  start: SourcePosition;
  end: SourcePosition;
  lines: ChunkLine[];
  parts: PartPlan[];
  /** Its requests by line; dropped once every part is submitted when the input can be re-read. */
  requests: Map<number, GenerateContentParameters> | undefined;
}

/** A line of a chunk being read: its request with the request's JSON text (hashed and measured). */
export interface PendingLine {
  line: ChunkLine;
  request?: GenerateContentParameters;
  json?: string;
}

/** A chunk as read, before its parts are planned. */
export interface ChunkDraft {
  index: number;
  start: SourcePosition;
  end: SourcePosition;
  pending: PendingLine[];
}

/**
 * Cuts the input into chunks: at most `chunkSize` lines, and the first line that brings the
 * requests' JSON to `chunkBytes` or more ends a chunk. The cut depends on the input alone, so a
 * resumed run reading from a chunk boundary cuts the same chunks and names the same batches.
 */
export class ChunkReader {
  readonly #records: AsyncIterator<PositionedRecord[]>;
  readonly #chunking: Chunking;
  #batch: PositionedRecord[] = [];
  #index = 0;
  #position: SourcePosition;
  #next: number;
  #done = false;

  constructor(
    records: AsyncIterator<PositionedRecord[]>,
    from: SourcePosition,
    firstChunk: number,
    chunking: Chunking,
  ) {
    this.#records = records;
    this.#position = { ...from };
    this.#next = firstChunk;
    this.#chunking = chunking;
  }

  /** The next chunk's lines, or undefined at the end of the input. */
  async read(): Promise<ChunkDraft | undefined> {
    const start = { ...this.#position };
    const pending: PendingLine[] = [];
    let bytes = 0;
    while (pending.length < this.#chunking.chunkSize && bytes < this.#chunking.chunkBytes) {
      const positioned = await this.#take();
      if (positioned === undefined) break;
      const { record, end } = positioned;
      this.#position = { position: end, line: record.line };
      const { line } = record;
      // Repeated ids are the runner's business: every valid line is sent, so a chunk's batches
      // depend on the input alone, not on which ids a run happens to remember.
      const id = record.id ?? `line:${line}`;
      const named = record.id !== undefined;
      if (record.invalid !== undefined) {
        const result = failure(id, line, 'invalid_input', record.invalid);
        pending.push({ line: { line, id, named, result } });
      } else {
        const json = JSON.stringify(record.request);
        bytes += Buffer.byteLength(json);
        pending.push({ line: { line, id, named }, request: record.request, json });
      }
    }
    if (pending.length === 0) return undefined;
    return { index: this.#next++, start, end: { ...this.#position }, pending };
  }

  async close(): Promise<void> {
    await this.#records.return?.(undefined);
  }

  async #take(): Promise<PositionedRecord | undefined> {
    while (this.#index >= this.#batch.length) {
      if (this.#done) return undefined;
      const next = await this.#records.next();
      if (next.done === true) {
        this.#done = true;
        return undefined;
      }
      this.#batch = next.value;
      this.#index = 0;
    }
    return this.#batch[this.#index++];
  }
}

/** A request as an inlined batch request: its own `model` is the batch's, its signal stays home. */
export function inlinedRequest(request: GenerateContentParameters, line: number): InlinedRequest {
  const inlined: InlinedRequest = { contents: request.contents, metadata: { key: String(line) } };
  if (request.config !== undefined) {
    const { abortSignal: _signal, httpOptions: _http, ...config } = request.config;
    inlined.config = config;
  }
  return inlined;
}

/**
 * Groups a chunk's requests by model into parts (in order of first appearance) and checks each
 * request with the SDK's own encoder: a request the SDK refuses to send (`contents: []`, an
 * option the Gemini API lacks) becomes an `invalid_input` result instead of failing its batch.
 */
export async function planChunk(read: ChunkDraft, codec: BatchCodec): Promise<Chunk> {
  const byModel = new Map<string, PendingLine[]>();
  for (const p of read.pending) {
    if (p.request === undefined) continue;
    let group = byModel.get(p.request.model);
    if (group === undefined) {
      group = [];
      byModel.set(p.request.model, group);
    }
    group.push(p);
  }
  const requests = new Map<number, GenerateContentParameters>();
  const parts: PartPlan[] = [];
  for (const [model, group] of byModel) {
    const sendable = await sendableOf(model, group, codec);
    if (sendable.length === 0) continue;
    const index = parts.length;
    const hash = new PartHash();
    for (const p of sendable) {
      p.line.part = index;
      hash.add(p.line.line, p.line.id, p.json as string);
      requests.set(p.line.line, p.request as GenerateContentParameters);
    }
    parts.push({ index, model, lines: sendable.map((p) => p.line.line), hash: hash.digest() });
  }
  return {
    index: read.index,
    start: read.start,
    end: read.end,
    lines: read.pending.map((p) => p.line),
    parts,
    requests,
  };
}

/** The group's requests the SDK can encode; the others get their `invalid_input` result. */
async function sendableOf(
  model: string,
  group: PendingLine[],
  codec: BatchCodec,
): Promise<PendingLine[]> {
  const encode = (ps: PendingLine[]) =>
    codec.encode(
      model,
      ps.map((p) => inlinedRequest(p.request as GenerateContentParameters, p.line.line)),
    );
  try {
    await encode(group);
    return group;
  } catch {
    // One bad request fails the whole encoding: find it (and any other) one by one.
  }
  const sendable: PendingLine[] = [];
  for (const p of group) {
    try {
      await encode([p]);
      sendable.push(p);
    } catch (error) {
      const { line, id } = p.line;
      p.line.result = failure(
        id,
        line,
        'invalid_input',
        `line ${line}: the request cannot be sent: ${(error as Error).message}`,
      );
    }
  }
  return sendable;
}
