/**
 * Splits a byte stream into lines with their byte offsets, without holding more than one line
 * (bounded by maxLineBytes) beyond the chunk being read. LF ends a line; a CR before it is part of
 * the terminator; a last line without a newline is a line. A line longer than maxLineBytes keeps
 * its first maxLineBytes bytes and is flagged `truncated`; it is never dropped.
 */

export interface RawLine {
  /** The line's bytes without its terminator. */
  raw: Buffer;
  /** Offset of the line's first byte in the stream. */
  start: number;
  /** Offset just past the line's terminator (the next line's start). */
  end: number;
  truncated: boolean;
}

export class LineSplitter {
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private lineStart: number;
  private offset: number;
  private truncated = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: RawLine) => void,
    /** Offset of the first byte pushed (non-zero when resuming an object mid-way). */
    startOffset = 0,
  ) {
    this.lineStart = startOffset;
    this.offset = startOffset;
  }

  /** Offset of the next byte expected. */
  get position(): number {
    return this.offset;
  }

  push(chunk: Buffer): void {
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      this.keep(chunk.subarray(from, nl));
      this.offset += nl + 1 - from;
      this.finishLine(true);
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.keep(chunk.subarray(from));
      this.offset += chunk.length - from;
    }
  }

  /** Ends the stream: a pending last line without newline is emitted. */
  end(): void {
    if (this.pieceBytes > 0 || this.truncated) this.finishLine(false);
  }

  private keep(bytes: Buffer): void {
    const room = this.maxLineBytes - this.pieceBytes;
    if (bytes.length > room) {
      this.truncated = true;
      bytes = bytes.subarray(0, Math.max(0, room));
    }
    if (bytes.length > 0) {
      // A view, not a copy: the chunk stays alive until the batch holding its lines is published,
      // which the bounded number of batches in flight keeps small.
      this.pieces.push(bytes);
      this.pieceBytes += bytes.length;
    }
  }

  private finishLine(hadNewline: boolean): void {
    let raw = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.pieceBytes);
    if (hadNewline && !this.truncated && raw.length > 0 && raw[raw.length - 1] === 13) raw = raw.subarray(0, raw.length - 1);
    this.onLine({ raw, start: this.lineStart, end: this.offset, truncated: this.truncated });
    this.pieces = [];
    this.pieceBytes = 0;
    this.truncated = false;
    this.lineStart = this.offset;
  }
}
