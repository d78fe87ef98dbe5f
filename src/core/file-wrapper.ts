/**
 * `tsgi.file_wrapper` (PEP 3333 "Optional Platform-Specific File Handling"): turns an open file
 * the app passes into a body the gateway streams in blocks, and that `xSendfile` can hand to the
 * web server instead (the body carries the file's path when the app gives it).
 *
 * The core does no I/O: the app opens the file (a `fs.promises.FileHandle`, or anything with
 * the same `read(buffer, offset, length, position)`); the wrapper only reads from it and
 * closes it in `close()`, which the gateway always calls (design §1 rule 9).
 */

/** What the wrapper reads from: `fs.promises.FileHandle` fits. */
export interface FileLike {
  read(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number | null,
  ): Promise<{ bytesRead: number }>;
  close?(): unknown;
}

export interface FileWrapperOptions {
  /** Bytes per chunk; default 64 KiB. */
  blockSize?: number;
  /** Where to start reading; default 0. */
  start?: number;
  /** How many bytes to send at most; default up to the end of the file. */
  length?: number;
  /** The file's path (a string, or the raw bytes): lets `xSendfile` hand the file over. */
  path?: string | Uint8Array;
}

/** `environ["tsgi.file_wrapper"]`: PEP 3333's `wsgi.file_wrapper(filelike, block_size)`. */
export type FileWrapperFactory = (
  file: FileLike,
  options?: FileWrapperOptions | number,
) => FileWrapper;

/** Marks a file wrapper body across copies of tsgi (`instanceof` fails between them). */
export const FILE_WRAPPER: unique symbol = Symbol.for("tsgi.file_wrapper") as never;

const DEFAULT_BLOCK = 64 * 1024;

/** A body that streams an open file in blocks and closes it in `close()`. */
export class FileWrapper implements AsyncIterable<Uint8Array> {
  readonly [FILE_WRAPPER] = true;
  readonly file: FileLike;
  readonly blockSize: number;
  readonly start: number;
  readonly length: number;
  readonly path: string | Uint8Array | undefined;
  #closed = false;

  constructor(file: FileLike, options: FileWrapperOptions = {}) {
    if (typeof file?.read !== "function") {
      throw new TypeError(
        "tsgi.file_wrapper: pass an open file with read() (a fs.promises.FileHandle)",
      );
    }
    this.file = file;
    this.blockSize = options.blockSize && options.blockSize > 0 ? options.blockSize : DEFAULT_BLOCK;
    this.start = options.start ?? 0;
    this.length = options.length ?? Number.POSITIVE_INFINITY;
    this.path = options.path;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    let position = this.start;
    let left = this.length;
    while (left > 0 && !this.#closed) {
      // A fresh buffer per chunk: the sink may keep it after write() resolved.
      const buffer = new Uint8Array(Math.min(this.blockSize, left));
      const { bytesRead } = await this.file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      left -= bytesRead;
      yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
    }
  }

  /** Closes the file once; later calls do nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.file.close?.();
  }
}

export const fileWrapper: FileWrapperFactory = (file, options) =>
  new FileWrapper(file, typeof options === "number" ? { blockSize: options } : options);

/** Whether a body is a file wrapper (of this or any other copy of tsgi). */
export function isFileWrapper(body: unknown): body is FileWrapper {
  return (
    typeof body === "object" &&
    body !== null &&
    (body as { [FILE_WRAPPER]?: unknown })[FILE_WRAPPER] === true
  );
}
