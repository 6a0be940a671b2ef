import type { SourcePosition } from './job-source.js';

/** An input line between the watermark and the read position. */
export interface WindowEntry {
  line: number;
  /** The source position after the line. */
  end: number;
  /** Its result line is in the output (or was before this run started). */
  written: boolean;
}

/**
 * The lines read past the watermark, in input order. The watermark moves over every leading
 * line whose result is written, so what remains is bounded by what the runner lets in: lines in
 * flight, and finished lines waiting behind a slower earlier one.
 */
export class JobWindow {
  #entries: WindowEntry[] = [];
  #head = 0;
  #watermark: SourcePosition;

  constructor(watermark: SourcePosition) {
    this.#watermark = { ...watermark };
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Every line up to here has its result written. */
  get watermark(): SourcePosition {
    return { ...this.#watermark };
  }

  add(line: number, end: number, written: boolean): WindowEntry {
    const entry: WindowEntry = { line, end, written };
    this.#entries.push(entry);
    if (written) this.advance();
    return entry;
  }

  /** Moves the watermark over the leading written lines. */
  advance(): void {
    let entry = this.#entries[this.#head];
    while (entry?.written) {
      this.#watermark = { position: entry.end, line: entry.line };
      this.#head += 1;
      entry = this.#entries[this.#head];
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Line numbers past the watermark whose results are written. */
  writtenAfterWatermark(): number[] {
    const lines: number[] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i] as WindowEntry;
      if (entry.written) lines.push(entry.line);
    }
    return lines;
  }
}
