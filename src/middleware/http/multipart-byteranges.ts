/**
 * `multipart/byteranges` (RFC 9110 §14.6): the layout of a response with several ranges, laid
 * out before any byte is read so the Content-Length is known up front. Framed as nginx does
 * (each part opens with CRLF "--" boundary; the close delimiter ends with CRLF).
 */
import { randomBytes } from "node:crypto";
import { type ByteRange, contentRange } from "./range.js";

/** A piece of the body: literal bytes (part headers) or a range of the representation. */
export type Segment = Uint8Array | ByteRange;

export interface MultipartLayout {
  /** The response's Content-Type: `multipart/byteranges; boundary=...`. */
  contentType: string;
  /** The whole body's length. */
  length: number;
  /** Part headers and ranges, in order; ranges ascend. */
  segments: Segment[];
}

/** Lays out the parts for `ranges` (sorted, disjoint) of a `size`-byte representation. */
export function multipartLayout(
  ranges: readonly ByteRange[],
  size: number,
  partType: string | undefined,
  boundary = randomBytes(12).toString("hex"),
): MultipartLayout {
  const segments: Segment[] = [];
  let length = 0;
  for (const range of ranges) {
    const type = partType ? `Content-Type: ${partType}\r\n` : "";
    const head = `\r\n--${boundary}\r\n${type}Content-Range: ${contentRange(range, size)}\r\n\r\n`;
    const bytes = Buffer.from(head, "latin1");
    segments.push(bytes, range);
    length += bytes.length + range.end - range.start + 1;
  }
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, "latin1");
  segments.push(tail);
  length += tail.length;
  return { contentType: `multipart/byteranges; boundary=${boundary}`, length, segments };
}

export function isRange(segment: Segment): segment is ByteRange {
  return !(segment instanceof Uint8Array);
}

/**
 * Cuts the ranges out of a body streamed from its first byte (conditional(): an app's body we
 * cannot seek in): bytes before, between and after the ranges are read and dropped, never
 * buffered whole.
 */
export async function* sliceStream(
  source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  segments: readonly Segment[],
): AsyncGenerator<Uint8Array> {
  let index = 0;
  let offset = 0; // of the next byte of `source`
  const advance = function* () {
    while (index < segments.length && !isRange(segments[index]))
      yield segments[index++] as Uint8Array;
  };
  yield* advance();
  for await (const chunk of source) {
    const chunkStart = offset;
    offset += chunk.length;
    while (index < segments.length) {
      const range = segments[index] as ByteRange;
      if (range.start >= offset) break;
      const from = Math.max(range.start, chunkStart) - chunkStart;
      const to = Math.min(range.end + 1, offset) - chunkStart;
      if (to > from) yield chunk.subarray(from, to);
      if (range.end + 1 > offset) break;
      index++;
      yield* advance();
    }
    if (index >= segments.length) return;
  }
}
