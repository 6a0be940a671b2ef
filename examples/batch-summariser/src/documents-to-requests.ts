import { Transform, type TransformCallback } from 'node:stream';
import type { GenerateContentParameters } from '@google/genai';

/** The model the summaries come from unless told otherwise. */
export const DEFAULT_MODEL = 'gemini-2.5-flash';
/** A longer document line is not held in memory: it becomes an invalid line of the job. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

export interface SummaryRequestOptions {
  /** Default `gemini-2.5-flash`. */
  model?: string;
  /** Default 256. */
  maxOutputTokens?: number;
}

export interface DocumentsToRequestsOptions extends SummaryRequestOptions {
  /** Default 1 MiB. */
  maxLineBytes?: number;
  /** Hears every input line that is not a `{ id, text }` document (it still gets a job line). */
  onInvalid?: (line: number, problem: string) => void;
}

/** The request that summarises one document. */
export function summaryRequest(
  text: string,
  options: SummaryRequestOptions = {},
): GenerateContentParameters {
  return {
    model: options.model ?? DEFAULT_MODEL,
    contents: [
      {
        role: 'user',
        parts: [{ text: `Summarise this document in one or two sentences:\n\n${text}` }],
      },
    ],
    config: {
      systemInstruction: 'You write short, factual summaries that keep names, numbers and dates.',
      maxOutputTokens: options.maxOutputTokens ?? 256,
      temperature: 0.2,
      // Flash models think by default, and thinking counts against maxOutputTokens: a summary
      // needs none. (Gemini 2.5 Pro refuses a budget of 0; drop this line for it.)
      thinkingConfig: { thinkingBudget: 0 },
    },
  };
}

function problemOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const { id, text } = value as { id?: unknown; text?: unknown };
  if (!((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id)))) {
    return '"id" must be a non-empty string or a number';
  }
  if (typeof text !== 'string' || text.trim() === '') return '"text" must be a non-empty string';
  return undefined;
}

/**
 * Turns a JSONL stream of `{ id, text }` documents into the throughput lane's job lines,
 * `{ id, request }`, one per non-blank input line, in order. It holds at most one line (up to
 * `maxLineBytes`) plus the chunk being read, so a file of any size goes through in bounded
 * memory, with backpressure from whatever it is piped into. A line that is not a document is
 * reported to `onInvalid` and written as a line without a request (keeping its id when it has
 * one), so the job gives it an `invalid_input` result: every document line has exactly one
 * result. The output depends only on the input, so a rerun writes the same bytes (what lets a
 * checkpointed job resume over it).
 */
export class DocumentsToRequests extends Transform {
  /** Document lines seen (blank lines are skipped). */
  lines = 0;
  /** Of those, lines that were not documents. */
  invalid = 0;
  readonly #options: DocumentsToRequestsOptions;
  readonly #maxLineBytes: number;
  #held: Buffer[] = [];
  #heldBytes = 0;
  #oversized = false;
  #lineNumber = 0;

  constructor(options: DocumentsToRequestsOptions = {}) {
    super();
    this.#options = options;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) {
        this.#hold(chunk.subarray(start));
        break;
      }
      this.#hold(chunk.subarray(start, newline));
      this.#endLine();
      start = newline + 1;
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#heldBytes > 0 || this.#oversized) this.#endLine();
    callback();
  }

  #hold(part: Buffer): void {
    if (this.#oversized || part.length === 0) return;
    if (this.#heldBytes + part.length > this.#maxLineBytes) {
      // Dropped at once: the rest of this line is skipped up to its newline.
      this.#oversized = true;
      this.#held = [];
      this.#heldBytes = 0;
      return;
    }
    this.#held.push(part);
    this.#heldBytes += part.length;
  }

  #endLine(): void {
    this.#lineNumber += 1;
    const oversized = this.#oversized;
    const text = oversized ? '' : Buffer.concat(this.#held, this.#heldBytes).toString('utf8');
    this.#held = [];
    this.#heldBytes = 0;
    this.#oversized = false;
    if (!oversized && text.trim() === '') return;
    this.lines += 1;
    let value: unknown;
    let problem: string | undefined;
    if (oversized) {
      problem = `longer than maxLineBytes ${this.#maxLineBytes}`;
    } else {
      try {
        value = JSON.parse(text);
        problem = problemOf(value);
      } catch {
        problem = 'not valid JSON';
      }
    }
    if (problem === undefined) {
      const { id, text: document } = value as { id: string | number; text: string };
      this.push(`${JSON.stringify({ id, request: summaryRequest(document, this.#options) })}\n`);
      return;
    }
    this.invalid += 1;
    this.#options.onInvalid?.(this.#lineNumber, problem);
    const id = (value as { id?: unknown } | undefined)?.id;
    const keep = (typeof id === 'string' && id !== '') || typeof id === 'number';
    this.push(`${JSON.stringify(keep ? { id, problem } : { problem })}\n`);
  }
}
