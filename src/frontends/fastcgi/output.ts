import type { Socket } from "node:net";
import { encodeStream } from "../../protocol/fastcgi.js";

/** Past this many queued bytes a write is flushed at once instead of at the end of the tick. */
const FLUSH_AT = 64 * 1024;
/** Unsent output past which a connection stops taking more of what nobody waits for. */
const BACKLOG_LIMIT = 8 * 1024 * 1024;
/** Up to this total, queued pieces are joined into one buffer (one copy beats a writev of many). */
const JOIN_AT = 16 * 1024;
/**
 * Pieces this small on average are joined whatever the total: thousands of 16-byte answers (a
 * chunk of management records) as one buffer, not as thousands of socket writes, each with its
 * own write request held until the kernel takes it.
 */
const SMALL_PIECE = 1024;

/**
 * The write side of one connection. Records queue here and go out together at the end of the
 * tick, or when the connection is done with one chunk of input (`hold`/`release`), so a small
 * response (head, body, empty STDOUT, END_REQUEST) and the responses of requests that finished
 * together leave in ONE syscall. Backpressure is the socket's: when it is over its high-water
 * mark, `drained()` is what a writer awaits.
 */
export class Output {
  readonly #socket: Socket;
  #pieces: Uint8Array[] = [];
  #bytes = 0;
  /** The whole buffer under the last piece when `record(_, room)` left room after it, else null. */
  #open: Uint8Array | null = null;
  #scheduled = false;
  #holding = false;
  #endAfterFlush = false;
  #closed = false;
  #drain: Promise<void> | null = null;
  #resolveDrain: (() => void) | null = null;
  readonly #flush = () => this.flush();

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("drain", this.#release);
  }

  /** Bytes queued and not yet handed to the socket. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True once the connection is gone (closed by us or destroyed), before its 'close' event. */
  get gone(): boolean {
    // Not writable: destroyed, or ended by us. (Connections are half-open: a web server's FIN
    // leaves the socket writable; a peer that closed outright shows when a write fails.)
    return this.#closed || !this.#socket.writable;
  }

  /** True while the socket holds more than its high-water mark: writers should wait. */
  get congested(): boolean {
    return this.#socket.writableNeedDrain;
  }

  /**
   * More than BACKLOG_LIMIT bytes not yet taken by the kernel. An app's own output never gets
   * there (it waits for 'drain'); what does is output nobody waits for: the gateway's answers to
   * a flood of records, or tsgi.errors lines, when the web server is not reading.
   */
  get overloaded(): boolean {
    return this.#bytes + this.#socket.writableLength > BACKLOG_LIMIT;
  }

  /** Queues `data` as records of stream `type` (STDOUT, STDERR), 65535 bytes at most each. */
  stream(type: number, requestId: number, data: Uint8Array): void {
    if (this.#closed) return;
    this.#open = null;
    encodeStream(type, requestId, data, this.#pieces);
    this.#queued(data.length);
  }

  /**
   * Writes `data` as records of stream `type` now, by reference, with what is queued before it.
   * Returns true while the socket still holds some of it; `done` then runs once the socket wrote
   * it, and only then may the caller hand the buffer back to its owner. On a connection that is
   * gone `done` never runs: the connection's close cancels the request, which wakes the writer.
   */
  streamNow(type: number, requestId: number, data: Uint8Array, done: () => void): boolean {
    if (this.#closed) return true;
    this.#open = null;
    encodeStream(type, requestId, data, this.#pieces);
    this.#bytes += data.length;
    this.flush(done);
    return this.gone || this.#socket.writableLength > 0;
  }

  /**
   * Queues one encoded record. With `room`, the last `room` bytes of `bytes` are not part of it
   * but spare, for `append` to fill.
   */
  record(bytes: Uint8Array, room = 0): void {
    if (this.#closed) return;
    this.#open = room > 0 ? bytes : null;
    const record = room > 0 ? bytes.subarray(0, bytes.length - room) : bytes;
    this.#pieces.push(record);
    this.#queued(record.length);
  }

  /**
   * Queues encoded records after the last one, into its spare room when they fit: a small
   * response and the records that end it leave as one buffer, with no Buffer.concat.
   */
  append(bytes: Uint8Array): void {
    const open = this.#open;
    const last = this.#pieces.length - 1;
    if (open !== null && last >= 0) {
      const used = this.#pieces[last].length;
      if (used + bytes.length <= open.length) {
        open.set(bytes, used);
        this.#pieces[last] = open.subarray(0, used + bytes.length);
        this.#open = null;
        this.#queued(bytes.length);
        return;
      }
    }
    this.record(bytes);
  }

  /**
   * Queues without scheduling a flush until `release()`, which flushes: what the records of one
   * socket chunk produced leaves at once, with no process.nextTick per request (a request that
   * the app answers synchronously is complete by then).
   */
  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    if (this.#pieces.length > 0 || this.#endAfterFlush) this.flush();
  }

  /** Ends the connection once what is queued has been written (FCGI_KEEP_CONN clear). */
  endAfterFlush(): void {
    this.#endAfterFlush = true;
    this.#schedule();
  }

  /** Resolves when the socket drained (or the connection closed). */
  drained(): Promise<void> {
    this.#drain ??= new Promise<void>((resolve) => {
      this.#resolveDrain = resolve;
    });
    return this.#drain;
  }

  /** Hands everything queued to the socket, in one write when it is small; `done` as in streamNow. */
  flush(done?: () => void): void {
    this.#scheduled = false;
    const pieces = this.#pieces;
    const total = this.#bytes;
    this.#pieces = [];
    this.#bytes = 0;
    this.#open = null;
    const socket = this.#socket;
    if (this.gone) return;
    if (pieces.length === 1) socket.write(pieces[0], done);
    else if (pieces.length > 1 && (total <= JOIN_AT || total < pieces.length * SMALL_PIECE)) {
      socket.write(Buffer.concat(pieces), done);
    } else if (pieces.length > 1) {
      socket.cork();
      const last = pieces.length - 1;
      for (let i = 0; i < last; i++) socket.write(pieces[i]);
      socket.write(pieces[last], done);
      socket.uncork();
    } else {
      done?.();
    }
    if (this.#endAfterFlush) {
      this.#closed = true;
      socket.end();
    }
  }

  /** Drops what is queued and wakes every writer: the connection is gone. */
  close(): void {
    this.#closed = true;
    this.#open = null;
    this.#pieces = [];
    this.#bytes = 0;
    this.#release();
  }

  /** Forgets the socket: the connection moves to another owner (the hand-off). */
  detach(): void {
    this.close();
    this.#socket.off("drain", this.#release);
  }

  #queued(length: number): void {
    this.#bytes += length;
    if (this.#bytes >= FLUSH_AT) this.flush();
    else this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#holding) return;
    this.#scheduled = true;
    process.nextTick(this.#flush);
  }

  readonly #release = () => {
    const resolve = this.#resolveDrain;
    this.#drain = null;
    this.#resolveDrain = null;
    resolve?.();
  };
}
