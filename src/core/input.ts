import { IncompleteBodyError } from "./errors.js";
import type { Input } from "./types.js";

const EMPTY = new Uint8Array(0);
const NEWLINE = 0x0a;

/** Where a front-end's request body comes from: a Node Readable, an async generator, ... */
export type ByteSource = AsyncIterable<Uint8Array> | AsyncIterator<Uint8Array>;

/**
 * `tsgi.input` over a front-end's byte source. With `length` (CONTENT_LENGTH) it never reads
 * past it and a shorter body is an IncompleteBodyError; without it, it reads the source to its
 * end (FastCGI STDIN, chunked uploads). Pass `length: 0` or no source for "no body".
 */
export function createInput(source: ByteSource | null, length: number | undefined): Input {
  return new BodyInput(source, length);
}

class BodyInput implements Input {
  private readonly source: AsyncIterator<Uint8Array> | null;
  private leftover: Uint8Array = EMPTY;
  private remaining: number;
  private received = 0;
  private failure: unknown = null;
  /** The read in progress, if any: the next one waits for it (see serial). */
  private queue: Promise<unknown> | null = null;

  constructor(
    source: ByteSource | null,
    private readonly length: number | undefined,
  ) {
    this.source = source && length !== 0 ? toIterator(source) : null;
    this.remaining = length ?? Number.POSITIVE_INFINITY;
  }

  read(size?: number): Promise<Uint8Array> {
    return this.serial(() => this.readNow(size));
  }

  readline(limit?: number): Promise<Uint8Array> {
    return this.serial(() => this.readlineNow(limit));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.serial(() => this.take(Number.POSITIVE_INFINITY));
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  // Two reads at once (Promise.all([read(5), read(5)])) must not pull the source twice at once:
  // a source may hold one waiter only, and the bytes must go to the reads in call order.
  // Made on the first read, not per request: most requests never read a body.
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const result = this.queue ? this.queue.then(op) : op();
    this.queue = result.catch(noop);
    return result;
  }

  private async readNow(size?: number): Promise<Uint8Array> {
    const limit = size === undefined || size < 0 ? Number.POSITIVE_INFINITY : size;
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < limit) {
      const chunk = await this.take(limit - total);
      if (chunk.length === 0) break;
      parts.push(chunk);
      total += chunk.length;
    }
    return join(parts, total);
  }

  private async readlineNow(limit?: number): Promise<Uint8Array> {
    const max = limit === undefined || limit < 0 ? Number.POSITIVE_INFINITY : limit;
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const chunk = await this.take(max - total, true);
      if (chunk.length === 0) break;
      parts.push(chunk);
      total += chunk.length;
      if (chunk[chunk.length - 1] === NEWLINE) break;
    }
    return join(parts, total);
  }

  /** At most `max` bytes (up to and including a newline when `line`); empty at the end. */
  private async take(max: number, line = false): Promise<Uint8Array> {
    if (this.leftover.length === 0) this.leftover = await this.pull();
    const buffered = this.leftover;
    let end = Math.min(max, buffered.length);
    if (line) {
      const newline = buffered.subarray(0, end).indexOf(NEWLINE);
      if (newline >= 0) end = newline + 1;
    }
    this.leftover = buffered.subarray(end);
    return buffered.subarray(0, end);
  }

  private async pull(): Promise<Uint8Array> {
    if (this.failure) throw this.failure;
    if (this.source === null || this.remaining === 0) return EMPTY;
    for (;;) {
      const step = await this.source.next();
      if (step.done) return this.ended();
      const chunk = step.value;
      if (chunk.length === 0) continue;
      // RFC 3875 §4.1.2: never read more than CONTENT_LENGTH, whatever else arrives.
      const kept = chunk.length > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
      this.remaining -= kept.length;
      this.received += kept.length;
      return kept;
    }
  }

  private ended(): Uint8Array {
    if (this.length !== undefined && this.remaining > 0) {
      this.failure = new IncompleteBodyError(this.length, this.received);
      throw this.failure;
    }
    this.remaining = 0;
    return EMPTY;
  }
}

function toIterator(source: ByteSource): AsyncIterator<Uint8Array> {
  const iterable = source as AsyncIterable<Uint8Array>;
  return typeof iterable[Symbol.asyncIterator] === "function"
    ? iterable[Symbol.asyncIterator]()
    : (source as AsyncIterator<Uint8Array>);
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 0) return EMPTY;
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function noop(): void {}
