/**
 * A watch on the size of each multipart part's header block. busboy's `headerSize` limit
 * truncates an oversized header silently; this scan reports it, so a client that sends one
 * gets a 431 instead of a part parsed from half its header. It only looks for the boundary
 * delimiter (RFC 2046 §5.1.1) and the blank line that ends a header: the parsing is busboy's.
 */
const CRLFCRLF = Buffer.from("\r\n\r\n");

export class PartHeaderGuard {
  private readonly delimiter: Buffer;
  /** Unscanned bytes kept from the last chunk (a delimiter may be split across chunks). */
  private tail: Buffer;
  /** Absolute offset of tail[0] in the body. */
  private offset = 0;
  /** Absolute offset where the current header block began, or -1 in a part's content. */
  private headerStart = -1;
  private done = false;

  constructor(
    boundary: string,
    private readonly limit: number,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, "latin1");
    // The first delimiter may open the body without a CRLF before it.
    this.tail = Buffer.from("\r\n");
    this.offset = -2;
  }

  /** The boundary parameter of a multipart Content-Type, or null. */
  static boundaryOf(contentType: string): string | null {
    const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    return match ? (match[1] ?? match[2]) : null;
  }

  /** False once a header block has grown past the limit. */
  feed(chunk: Uint8Array): boolean {
    if (this.done) return true;
    const buf = Buffer.concat([this.tail, chunk]);
    let pos = 0;
    for (;;) {
      if (this.headerStart >= 0) {
        const end = buf.indexOf(CRLFCRLF, pos);
        const reached = end < 0 ? this.offset + buf.length : this.offset + end;
        if (reached - this.headerStart > this.limit) return false;
        if (end < 0) return this.keep(buf, Math.max(pos, buf.length - 3));
        this.headerStart = -1;
        pos = end + 4;
      }
      const found = buf.indexOf(this.delimiter, pos);
      if (found < 0) return this.keep(buf, Math.max(pos, buf.length - this.delimiter.length + 1));
      const after = found + this.delimiter.length;
      // "--" right after the delimiter closes the body (the epilogue has no headers).
      if (buf.length < after + 2) return this.keep(buf, found);
      if (buf[after] === 0x2d && buf[after + 1] === 0x2d) {
        this.done = true;
        return true;
      }
      this.headerStart = this.offset + after;
      pos = after;
    }
  }

  private keep(buf: Buffer, from: number): boolean {
    this.tail = Buffer.from(buf.subarray(from));
    this.offset += from;
    return true;
  }
}
