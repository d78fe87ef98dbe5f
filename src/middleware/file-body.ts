/**
 * The bodies sendFile returns: a file (or a slice of it) through tsgi.file_wrapper's class, or
 * a multipart/byteranges body read range by range; both close the file when the client leaves.
 */
import { FileWrapper } from "../core/file-wrapper.js";
import type { Environ } from "../core/types.js";
import { closeQuietly, type OpenedFile } from "./file-open.js";
import { isRange, type Segment } from "./http/multipart-byteranges.js";

/** A slice of the file as a file wrapper body that carries the path (xSendfile reads it). */
export function wrap(
  file: OpenedFile,
  start: number,
  length: number,
  blockSize: number | undefined,
): FileWrapper {
  return new FileWrapper(file.handle, {
    start,
    length,
    path: file.path,
    blockSize,
  });
}

/** A multipart/byteranges body read from the file range by range. */
export class SegmentsBody implements AsyncIterable<Uint8Array> {
  constructor(
    private readonly file: OpenedFile,
    private readonly segments: Segment[],
    private readonly blockSize: number | undefined,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (const segment of this.segments) {
      if (!isRange(segment)) yield segment;
      else {
        const length = segment.end - segment.start + 1;
        // The handle stays open across parts: close() below closes it.
        const part = new FileWrapper(
          { read: (...a) => this.file.handle.read(...a) },
          {
            start: segment.start,
            length,
            blockSize: this.blockSize,
          },
        );
        yield* part;
      }
    }
  }

  close(): Promise<void> {
    return closeQuietly(this.file);
  }
}

/** Closes the body when the client leaves (tsgi.signal), not only when the gateway calls close(). */
export function closeOnAbort<B extends { close(): Promise<void> }>(environ: Environ, body: B): B {
  const signal = environ["tsgi.signal"];
  if (!signal) return body;
  const close = body.close.bind(body);
  const onAbort = () => void close().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  body.close = () => {
    signal.removeEventListener("abort", onAbort);
    return close();
  };
  return body;
}
