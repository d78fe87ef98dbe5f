import { STDIN_HIGH_WATER } from "./limits.js";

/** How a request's STDIN queue tells its connection to stop and restart reading the socket. */
export interface FlowControl {
  pauseInput(): void;
  resumeInput(): void;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The STDIN stream of one request (FastCGI 1.0 §5.3) as the ByteSource behind `tsgi.input`.
 * A bounded queue: past STDIN_HIGH_WATER unread bytes the connection stops reading the socket
 * until the app catches up, so an upload is never held whole in memory.
 */
export class StdinQueue implements AsyncIterator<Uint8Array> {
  readonly #flow: FlowControl;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #ended = false;
  #failure: unknown = null;
  #paused = false;
  #resolve: ((step: IteratorResult<Uint8Array>) => void) | null = null;
  #reject: ((error: unknown) => void) | null = null;

  constructor(flow: FlowControl) {
    this.#flow = flow;
  }

  /** One STDIN record's content; copied, since the decoder's view dies with its callback. */
  push(content: Uint8Array): void {
    if (this.#ended || this.#failure !== null) return;
    const chunk = Buffer.from(content);
    const resolve = this.#resolve;
    if (resolve) {
      this.#settled();
      resolve({ done: false, value: chunk });
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes > STDIN_HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#flow.pauseInput();
    }
  }

  /** The empty STDIN record: the body is complete. */
  end(): void {
    this.#ended = true;
    const resolve = this.#resolve;
    if (resolve) {
      this.#settled();
      resolve(DONE);
    }
  }

  /** The request was aborted: a reader must not mistake a cut body for a complete one. */
  fail(reason: unknown): void {
    if (this.#failure !== null) return;
    this.#failure = reason;
    const reject = this.#reject;
    if (reject) {
      this.#settled();
      reject(reason);
    }
    this.release();
  }

  /** Whether more STDIN may come: the empty record has not arrived and nothing failed. */
  get open(): boolean {
    return !this.#ended && this.#failure === null;
  }

  /** Drops what is unread (the request is over) and lets the connection read again. */
  release(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#ended = true;
    this.#unpause();
    const resolve = this.#resolve;
    if (resolve) {
      this.#settled();
      resolve(DONE);
    }
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    if (this.#head < this.#chunks.length) return Promise.resolve(this.#shift());
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  #shift(): IteratorResult<Uint8Array> {
    const chunk = this.#chunks[this.#head];
    this.#head++;
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    }
    this.#bytes -= chunk.length;
    // Resume below half the mark, so a reader at the edge does not flap the socket.
    if (this.#bytes <= STDIN_HIGH_WATER / 2) this.#unpause();
    return { done: false, value: chunk };
  }

  #unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flow.resumeInput();
  }

  #settled(): void {
    this.#resolve = null;
    this.#reject = null;
  }
}
