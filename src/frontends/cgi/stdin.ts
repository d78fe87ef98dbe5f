import type { ByteSource } from "../../core/input.js";

/** How long the discard waits for the next chunk of an unread body before it gives up. */
export const DISCARD_IDLE_MS = 5000;

/**
 * The request body on fd 0, opened only on first read (touching `process.stdin` costs start-up
 * time and keeps the process alive), counting what was read so the rest can be discarded.
 */
export class Stdin implements AsyncIterator<Uint8Array> {
  #iterator: AsyncIterator<Uint8Array> | undefined;
  #read = 0;

  constructor(private readonly open: () => AsyncIterable<Uint8Array> = () => process.stdin) {}

  async next(): Promise<IteratorResult<Uint8Array>> {
    this.#iterator ??= this.open()[Symbol.asyncIterator]();
    const step = await this.#iterator.next();
    if (!step.done) this.#read += step.value.length;
    return step;
  }

  /**
   * Reads and drops what is left of a `length`-byte body the app did not read, before the
   * process exits. Apache's mod_cgid (the `cgi` module under the event and worker MPMs, Debian's
   * default) talks to the script over a Unix socket: a script that exits with request bytes
   * unread resets it, and Apache loses the response it had not read yet (AH00574
   * "apr_bucket_read() failed", the client sees the connection cut). Gives up when the body
   * ends early or no byte comes for `idleMs`.
   */
  async discardRest(length: number, idleMs = DISCARD_IDLE_MS): Promise<void> {
    while (this.#read < length) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<"idle">((resolve) => {
        timer = setTimeout(resolve, idleMs, "idle");
      });
      try {
        const step = await Promise.race([this.next(), idle]);
        if (step === "idle" || step.done) return;
      } finally {
        clearTimeout(timer);
      }
    }
  }
}

/** A ByteSource that is tsgi's own stdin, whose unread rest can be discarded. */
export function isStdin(source: ByteSource | null): source is Stdin {
  return source instanceof Stdin;
}
