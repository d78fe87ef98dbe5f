import { ContractError } from "./errors.js";
import { checkHeaderList, checkStatus, describe } from "./headers.js";
import type { Headers, Sink, StartResponse, Write } from "./types.js";

/**
 * The start_response state machine, the one copy every front-end and `inject()` share.
 *
 *   idle --startResponse--> started --first non-empty chunk (or end)--> committed --end--> closed
 *
 * `started` may go back through startResponse only with excInfo (PEP 3333).
 */
export type ResponseStateName = "idle" | "started" | "committed" | "closed";

// RFC 9110 §6.4.1: these responses carry no content, whatever Content-Length says.
const NO_CONTENT = new Set([204, 304]);

export class Response {
  state: ResponseStateName = "idle";
  status = "";
  code = 0;
  headers: Headers = [];
  bytesSent = 0;
  /** Bytes the app offered past its Content-Length and that were not sent (rule 8). */
  overrun = 0;
  /** The Content-Length the app declared, found while checking its headers. */
  private declared: number | undefined;
  private remaining: number | undefined;
  /** The sink call still in flight, if any: the next one waits for it (see `after`). */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly sink: Sink,
    private readonly method: string,
  ) {}

  readonly startResponse: StartResponse = (status, headers, excInfo) => {
    if (excInfo !== undefined && excInfo !== null) {
      // PEP 3333: with exc_info after the headers went out, re-raise it; the response is lost.
      if (this.state === "committed" || this.state === "closed") throw excInfo;
    } else if (this.state !== "idle") {
      throw new ContractError(
        `start_response() called again without excInfo: headers already set (status ${JSON.stringify(this.status)})`,
      );
    }
    const code = checkStatus(status);
    const copy: Headers = [];
    const declared = checkHeaderList(headers, copy);
    this.status = status;
    this.code = code;
    this.headers = copy;
    this.declared = declared;
    this.state = "started";
    return this.write;
  };

  /** The `write` callable start_response returns: throws on contract errors, rejects if the client left. */
  readonly write: Write = (chunk) => {
    if (this.state === "closed") {
      // Called from a timer after the request is over, a throw would be an uncaught exception
      // that takes the process down; nobody is left to catch it but the promise's reader.
      const late = Promise.reject(new ContractError("write() after the response ended"));
      late.catch(noop);
      return late;
    }
    const pending = this.send(chunk);
    if (!pending) return Promise.resolve();
    // An app that does not await write() must not crash the process with an unhandled rejection;
    // an app that awaits still sees the error.
    pending.catch(noop);
    return pending;
  };

  /** Sends one body chunk: commits the headers first if this is the first non-empty one. */
  send(chunk: unknown): void | Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw badChunk(chunk);
    if (chunk.length === 0) return;
    if (this.state === "idle") throw new ContractError("write() before start_response()");
    if (this.state === "closed") throw new ContractError("write() after the response ended");
    if (this.state === "started") {
      const committing = this.commit();
      return this.push(this.clip(chunk)) ?? committing;
    }
    return this.push(this.clip(chunk));
  }

  /** Ends the body: commits headers for an empty body, checks Content-Length, ends the sink. */
  finish(): void | Promise<void> {
    if (this.state === "idle") {
      throw new ContractError("the application returned without calling start_response()");
    }
    if (this.state === "started") {
      // Check Content-Length only once the headers are out, so abort() never overtakes commit().
      const committing = this.commit();
      if (committing) return committing.then(() => this.end());
    }
    return this.end();
  }

  /** Forgets a status that was started but not sent, so the error app can answer instead. */
  reset(): void {
    if (this.state !== "idle" && this.state !== "started") {
      throw new ContractError(`cannot reset a response in state ${this.state}`);
    }
    this.state = "idle";
  }

  private commit(): void | Promise<void> {
    this.state = "committed";
    this.remaining = this.declared;
    const { status, headers } = this;
    return this.after(() => this.sink.commit(status, headers));
  }

  private push(data: Uint8Array): void | Promise<void> {
    if (data.length === 0) return;
    this.bytesSent += data.length;
    return this.after(() => this.sink.write(data));
  }

  private end(): void | Promise<void> {
    const short = this.remaining !== undefined && this.remaining > 0;
    if (short && this.method !== "HEAD" && !NO_CONTENT.has(this.code)) {
      throw new ContractError(
        `body ended after ${this.bytesSent} of ${this.declared} bytes declared by Content-Length`,
      );
    }
    this.state = "closed";
    return this.after(() => this.sink.end());
  }

  /**
   * Calls the sink once the call in flight settled. An app may call write() without awaiting
   * it, then return more chunks: the sink must still see commit, the writes and end in order,
   * one at a time (Sink: "a returned promise means wait before the next call"). A failed call
   * fails the ones queued behind it, so a client that left is seen by whoever awaits next.
   */
  private after(call: () => void | Promise<void>): void | Promise<void> {
    const result = this.pending ? this.pending.then(call) : call();
    if (!(result instanceof Promise)) return;
    const tracked: Promise<void> = result.finally(() => {
      if (this.pending === tracked) this.pending = undefined;
    });
    // Whoever awaits a later call sees the failure; nobody needs to await this one.
    tracked.catch(noop);
    this.pending = tracked;
    return tracked;
  }

  // Rule 8: never more bytes than the app declared; the excess is dropped and reported.
  private clip(chunk: Uint8Array): Uint8Array {
    const budget = this.remaining;
    if (budget === undefined) return chunk;
    if (chunk.length <= budget) {
      this.remaining = budget - chunk.length;
      return chunk;
    }
    this.overrun += chunk.length - budget;
    this.remaining = 0;
    return chunk.subarray(0, budget);
  }
}

function badChunk(chunk: unknown): ContractError {
  const hint =
    typeof chunk === "string"
      ? ": encode text first, e.g. Buffer.from(text) or new TextEncoder().encode(text)"
      : "";
  return new ContractError(`body chunk must be a Uint8Array, got ${describe(chunk)}${hint}`);
}

function noop(): void {}
