import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;

/** One physical line of a file and where it lies. */
export interface RawLine {
  /** 1-based line number. */
  number: number;
  /** Byte offset of its first byte. */
  start: number;
  /** Byte offset after its newline (or the end of the file for a last line without one). */
  end: number;
  /** Its text without the newline (and without a trailing `\r`); undefined when longer than the limit. */
  text: string | undefined;
  /** Its length in bytes, newline excluded. */
  bytes: number;
  /** False for a last line without a newline. */
  terminated: boolean;
}

export interface ReadLinesOptions {
  /** Where to start: a line boundary, and the number of lines before it. */
  from: { offset: number; line: number };
  /** Longer lines are yielded without text, never buffered whole. */
  maxLineBytes: number;
  chunkBytes?: number;
}

/**
 * Reads a file's lines from a byte offset with their offsets, one batch per chunk read, so
 * memory is one chunk plus one line however large the file is (and the per-line cost is not an
 * async step each). Bytes appended while reading are read too.
 */
export async function* readLineBatches(
  file: FileHandle,
  options: ReadLinesOptions,
): AsyncGenerator<RawLine[]> {
  const chunk = Buffer.allocUnsafe(options.chunkBytes ?? 256 * 1024);
  const max = options.maxLineBytes;
  let position = options.from.offset;
  let number = options.from.line;
  let lineStart = position;
  // A line spanning chunks: its pieces so far (copied: the chunk is reused), and its length.
  let parts: Buffer[] = [];
  let length = 0;
  let tooLong = false;

  const spanned = (end: number, terminated: boolean): RawLine => {
    let text: string | undefined;
    if (!tooLong) {
      text = Buffer.concat(parts, length).toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
    }
    number += 1;
    const line: RawLine = { number, start: lineStart, end, text, bytes: length, terminated };
    lineStart = end;
    parts = [];
    length = 0;
    tooLong = false;
    return line;
  };
  const append = (data: Buffer, from: number, to: number) => {
    length += to - from;
    if (tooLong) return;
    if (length > max) {
      tooLong = true;
      parts = [];
    } else if (to > from) {
      parts.push(Buffer.from(data.subarray(from, to)));
    }
  };

  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    const data = chunk.subarray(0, bytesRead);
    const batch: RawLine[] = [];
    let from = 0;
    while (from < bytesRead) {
      const newline = data.indexOf(NEWLINE, from);
      if (newline === -1) {
        append(data, from, bytesRead);
        break;
      }
      const end = position + newline + 1;
      if (length === 0 && !tooLong) {
        // The common case, a whole line in this chunk: decode it straight from the chunk.
        const bytes = newline - from;
        const cr = bytes > 0 && data[newline - 1] === 0x0d ? 1 : 0;
        number += 1;
        batch.push({
          number,
          start: lineStart,
          end,
          text: bytes > max ? undefined : data.toString('utf8', from, newline - cr),
          bytes,
          terminated: true,
        });
        lineStart = end;
      } else {
        append(data, from, newline);
        batch.push(spanned(end, true));
      }
      from = newline + 1;
    }
    position += bytesRead;
    if (batch.length > 0) yield batch;
  }
  if (length > 0 || tooLong) yield [spanned(position, false)];
}
