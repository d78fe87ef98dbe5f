import {
  encodeEndRequest,
  encodeStreamEnd,
  encodeStreamText,
  ProtocolStatus,
  RecordType,
} from "../../protocol/fastcgi.js";
import type { Output } from "./output.js";

/** A head and first chunk this small share one STDOUT record, encoded in one buffer. */
const MERGE_AT = 8 * 1024;
/** Chunks from this size on are written by reference, not copied (see StdoutWriter#send). */
const SHARE_AT = 16 * 1024;

/**
 * The empty STDOUT record and END_REQUEST(0, REQUEST_COMPLETE) that end every normal
 * response, encoded once per request id (web servers reuse a few ids): two fewer
 * allocations per request. Sockets never modify what they write, so sharing is safe.
 */
const TAILS: Buffer[] = [];
/** Its length: the first record leaves this much room after it, so the tail joins it there. */
const TAIL_LENGTH = 2 * 8 + 8;

function completeTail(id: number): Buffer {
  let tail = TAILS[id];
  if (tail === undefined) {
    tail = Buffer.concat([
      encodeStreamEnd(RecordType.STDOUT, id),
      encodeEndRequest(id, 0, ProtocolStatus.REQUEST_COMPLETE),
    ]);
    TAILS[id] = tail;
  }
  return tail;
}

/**
 * A request's STDOUT records (FastCGI 1.0 §6.2): the head with the first chunk, the chunks, the
 * end of its streams, and the app's wait while the socket holds what it wrote. FcgiRequest
 * extends it.
 */
export class StdoutWriter {
  readonly id: number;
  /** The head went out with a first chunk: an abort now can only break the response. */
  #headSent = false;
  #wake: (() => void) | null = null;

  constructor(id: number) {
    this.id = id;
  }

  protected get headSent(): boolean {
    return this.#headSent;
  }

  /** Lets an app waiting for its write go on (the request was stopped). */
  protected wakeApp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * The contract lets an app reuse a chunk's buffer once the gateway asked for the next one, but
   * records leave at the end of the tick and the socket may hold a reference until the kernel
   * took the bytes: a reused buffer would change bytes not yet sent (a pooled one could carry
   * another request's data). A small chunk is copied; a large one is written now and the app
   * waits only while the socket still holds part of it: copying 1 MiB chunks cost a fifth of
   * the streaming throughput and doubled peak RSS, and waiting for every write callback cost as
   * much (bench/run.mjs --only stream).
   */
  protected send(output: Output, chunk: Uint8Array): void | Promise<void> {
    // The socket died and its 'close' (which cancels this request) is still queued: answering
    // at once would let an endless body spin on microtasks and starve that very event.
    if (output.gone) return this.#untilCancelled();
    if (chunk.length < SHARE_AT) {
      output.stream(RecordType.STDOUT, this.id, Buffer.from(chunk));
      if (output.congested) return this.#drained(output);
      return;
    }
    let wake: () => void = noop;
    const written = new Promise<void>((resolve) => {
      wake = resolve;
    });
    // The kernel took it all at once (the common case): the buffer is free, no tick to wait.
    if (!output.streamNow(RecordType.STDOUT, this.id, chunk, wake)) return;
    this.#wake = wake;
    return written;
  }

  // Header, head, first chunk and padding written once into one buffer: a hello-world
  // response is this record and the shared tail (bench/micro/fastcgi-path.mjs).
  protected sendHead(output: Output, head: string, chunk: Uint8Array): void | Promise<void> {
    this.#headSent = true;
    if (head.length + chunk.length <= MERGE_AT) {
      const record = encodeStreamText(RecordType.STDOUT, this.id, head, chunk, TAIL_LENGTH);
      output.record(record, TAIL_LENGTH);
      if (output.congested) return this.#drained(output);
      return;
    }
    output.stream(RecordType.STDOUT, this.id, Buffer.from(head, "latin1"));
    return this.send(output, chunk);
  }

  #untilCancelled(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }

  // Backpressure: the app's next chunk waits for 'drain', or for an abort, whichever is first.
  #drained(output: Output): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      output.drained().then(resolve);
    });
  }

  /** Ends the streams after the response's last chunk. */
  protected endStreams(output: Output, stderrUsed: boolean): void {
    // §3.3: each stream ends with an empty record; then END_REQUEST (§5.5).
    if (stderrUsed) {
      output.record(encodeStreamEnd(RecordType.STDOUT, this.id));
      output.record(encodeStreamEnd(RecordType.STDERR, this.id));
      output.record(encodeEndRequest(this.id, 0, ProtocolStatus.REQUEST_COMPLETE));
    } else {
      output.append(completeTail(this.id));
    }
  }
}

function noop(): void {}
