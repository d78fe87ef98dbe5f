import type { ServerResponse } from "node:http";
import type { Environ, Headers, StartResponse } from "../core/types.js";
import { Dechunker, parseHeadMemo } from "./node-head.js";
import type { NodeSocketClass } from "./node-socket.js";
import { aborted, type BodySocketClass } from "./node-socket-body.js";

type Callback = (error?: Error | null) => void;
type Step = IteratorResult<Uint8Array, undefined>;

const DONE: Step = Object.freeze({ done: true, value: undefined });
const HEAD_END = "\r\n\r\n";

/**
 * The writable side of tsgi's socket: what `ServerResponse` writes (its head, then body bytes).
 * The head is parsed into startResponse's status and headers; each write becomes one body chunk
 * the core pulls through `nextChunk`, and its callback is held until the core asks for the next
 * one, so `res.write()` returns false while tsgi's sink is full and `drain` follows.
 */
export function defineResponseSide(Base: BodySocketClass): NodeSocketClass {
  return class NodeSocket extends Base {
    readonly #startResponse: StartResponse;
    // Response side.
    #head = ""; // head text received so far, while the head is incomplete
    #headDone = false;
    #dechunker: Dechunker | null = null;
    readonly #queue: Buffer[] = [];
    #held: Callback | null = null; // the write callback held for backpressure
    #failure: unknown = undefined;
    #finished = false;
    /** The app ended the socket itself (a hijacked response, Fastify's reply.hijack()). */
    #ended = false;
    #resolve: ((step: Step | Promise<Step>) => void) | null = null;
    #reject: ((error: unknown) => void) | null = null;
    #opened: { resolve: () => void; reject: (error: unknown) => void } | null = null;
    #listening = false;
    #drainHeard = false;

    constructor(environ: Environ, startResponse: StartResponse, highWaterMark: number | undefined) {
      super(environ, highWaterMark);
      this.#startResponse = startResponse;
    }

    // --- the response -----------------------------------------------------------------------

    override _write(chunk: Buffer | string, encoding: BufferEncoding, callback: Callback): void {
      this.#take(chunk, encoding);
      this.#settle(callback);
    }

    override _writev(
      chunks: Array<{ chunk: Buffer | string; encoding: BufferEncoding }>,
      callback: Callback,
    ): void {
      for (let i = 0; i < chunks.length; i++) this.#take(chunks[i].chunk, chunks[i].encoding);
      this.#settle(callback);
    }

    #take(chunk: Buffer | string, encoding: BufferEncoding): void {
      if (this.#failure !== undefined || this.#finished) return;
      let rest: Buffer | string | null = chunk;
      if (!this.#headDone) {
        rest = this.#takeHead(chunk, encoding);
        if (rest === null || this.#failure !== undefined) return;
      }
      // What follows a head that came as bytes is a latin-1 string here (#takeHead).
      const bytes =
        typeof rest !== "string"
          ? rest
          : Buffer.from(rest, typeof chunk === "string" ? encoding : "latin1");
      if (bytes.length === 0) return;
      if (this.#dechunker !== null) this.#dechunker.push(bytes, this.#queue);
      else this.#queue.push(bytes);
    }

    /** Collects and commits the head; returns what follows it, or null while it is incomplete. */
    #takeHead(chunk: Buffer | string, encoding: BufferEncoding): string | null {
      let text = typeof chunk === "string" ? chunk : chunk.toString("latin1");
      if (typeof chunk !== "string") encoding = "latin1";
      for (;;) {
        if (this.#head !== "") text = this.#head + text;
        const end = text.indexOf(HEAD_END);
        if (end < 0) {
          this.#head = text;
          return null;
        }
        this.#head = "";
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        const parsed = parseHeadMemo(head, encoding !== "latin1" && encoding !== "binary");
        // RFC 9110 §15.2: 1xx interim responses (writeContinue, writeEarlyHints) cannot go
        // through CGI or FastCGI; the final head follows.
        if (parsed.code >= 100 && parsed.code < 200) {
          if (text === "") return null;
          continue;
        }
        this.#headDone = true;
        if (parsed.chunked) this.#dechunker = new Dechunker();
        this.#commit(parsed.status, parsed.headers);
        return text;
      }
    }

    #commit(status: string, headers: Headers): void {
      try {
        this.#startResponse(status, headers);
      } catch (error) {
        // A status Node accepts and tsgi refuses (600-999, say): the core answers 500.
        this.#fail(error);
      }
    }

    #settle(callback: Callback): void {
      // Only a write past the high-water mark is followed by 'drain': hear it from then on.
      if (!this.#drainHeard && this.writableNeedDrain) {
        this.#drainHeard = true;
        this.on("drain", onSocketDrain);
      }
      if (this.#queue.length === 0) {
        callback();
        return;
      }
      this.#held = callback;
      this.#wake();
    }

    /**
     * The body iterator's `next()`: the next chunk Node wrote, synchronously when one is there.
     * Asking for it tells Node the previous ones were taken (the held write callback).
     */
    nextChunk(): Step | Promise<Step> {
      const queue = this.#queue;
      if (queue.length === 0 && this.#held !== null) {
        const held = this.#held;
        this.#held = null;
        held(); // may write the next buffered chunks at once
      }
      if (queue.length > 0) return { done: false, value: queue.shift() as Buffer };
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#complete()) return DONE;
      return new Promise<Step>((resolve, reject) => {
        this.#resolve = resolve;
        this.#reject = reject;
        this.#listen();
      });
    }

    /**
     * The whole body, when the listener already ended the response (res.end() before it
     * returned: a hello world, a JSON answer): the core then sends a plain array synchronously,
     * so the FastCGI front-end writes head, body and end in one syscall, not the end a tick
     * later. Null when the response is still being written (the body is then pulled).
     */
    settled(): Buffer[] | null {
      if (this.#failure !== undefined || !this.res?.writableEnded) return null;
      // Nothing more can be written: taking the held writes early costs no backpressure.
      while (this.#held !== null) {
        const held = this.#held;
        this.#held = null;
        held(); // may hand over the rest of what Node buffered
      }
      if (this.#failure !== undefined || !this.#complete()) return null;
      const chunks = this.#queue.slice();
      this.#queue.length = 0;
      return chunks;
    }

    /**
     * For a response the listener has not ended when it returns (Koa answers when its
     * middleware promise settles; Express after a database call): a promise that resolves at
     * the first bytes Node writes (or the end), rejects when the response fails or the client
     * leaves first; null when something was written already. The caller looks at the socket a
     * microtask later, after the `res.end()` that wrote them returned: a response ended by then
     * is sent as one array, like one ended synchronously, rather than pulled through the body
     * iterator (whose promise per step and tsgi.signal cost Koa ~37 µs a request).
     */
    written(): Promise<void> | null {
      if (this.#queue.length > 0 || this.#held !== null) return null;
      if (this.#failure !== undefined || this.#finished) return null;
      return new Promise<void>((resolve, reject) => {
        this.#opened = { resolve, reject };
        // Only a response still waiting a full turn of the event loop later needs to hear
        // that the client left (making tsgi.signal costs ~5 µs); most are done by then.
        listenLater(this);
      });
    }

    /** setImmediate's callback of {@link written}. */
    listenIfOpening(): void {
      if (this.#opened !== null) this.#listen();
    }

    /**
     * An app that took the connection over (Fastify's `reply.hijack()`, then `req.socket.write`
     * and `req.socket.end()`) ends the response by ending the socket, as natively. Writable
     * calls this once every write before it was taken.
     */
    override _final(callback: Callback): void {
      this.#ended = true;
      callback();
      this.#wake();
    }

    /** Everything Node will write has been written: res.end() ran and nothing is buffered. */
    #complete(): boolean {
      if (this.#finished || this.#ended) return true;
      const res = this.res;
      return Boolean(res?.writableEnded) && this.writableLength === 0 && !this.writableCorked;
    }

    #wake(): void {
      const opened = this.#opened;
      if (opened !== null) {
        this.#opened = null;
        if (this.#failure !== undefined) opened.reject(this.#failure);
        else opened.resolve();
        return;
      }
      const resolve = this.#resolve;
      const reject = this.#reject as (error: unknown) => void;
      if (resolve === null) return;
      this.#resolve = null;
      this.#reject = null;
      try {
        resolve(this.nextChunk());
      } catch (error) {
        reject(error);
      }
    }

    /** The body iterator was stopped early by the core (client gone, sink failed). */
    stop(reason: unknown): void {
      if (!this.#complete()) this.gone(reason);
    }

    /** `res` emitted `finish`. */
    finished(): void {
      this.#finished = true;
      if (this.#listening) this.environ["tsgi.signal"].removeEventListener("abort", this);
      this.#wake();
    }

    // A waiting body is the only time the client's leaving matters before the core notices on
    // its own (a write to a gone client fails). tsgi.signal is made lazily: only ask for it then.
    #listen(): void {
      if (this.#listening) return;
      this.#listening = true;
      const signal = this.environ["tsgi.signal"];
      if (signal.aborted) this.gone(signal.reason);
      else signal.addEventListener("abort", this, { once: true });
    }

    /** EventListener for tsgi.signal's abort. */
    handleEvent(event: Event): void {
      this.gone((event.target as AbortSignal).reason);
    }

    /**
     * The client left: as Node's server does when its connection closes, the request is
     * destroyed (`aborted`, then `close`), and the response gets `close` without `finish`.
     */
    gone(reason: unknown): void {
      if (this.#finished) return;
      this.#fail(reason);
    }

    /** The handler threw or the response broke: the core answers 500, or aborts after the head. */
    fail(error: unknown): void {
      const res = this.res;
      if (res?.writableEnded && this.#failure === undefined) {
        // The response is complete already; natively this throw would crash the process.
        this.environ["tsgi.errors"].write(
          `tsgi: error in application after its response: ${describe(error)}\n`,
        );
        return;
      }
      this.#fail(error);
    }

    #fail(error: unknown): void {
      if (this.#failure === undefined)
        this.#failure = error ?? new Error("the response was destroyed");
      this._hadError = true;
      const req = this.req;
      if (req !== null && !req.destroyed) req.destroy(aborted(error));
      if (!this.destroyed) this.destroy();
      const held = this.#held;
      this.#held = null;
      this.#queue.length = 0;
      held?.();
      this.#wake();
    }

    override _destroy(error: Error | null, callback: Callback): void {
      // res.destroy() or socket.destroy(error) from the app, or the client gone.
      if (!this.#complete() && this.#failure === undefined) {
        this.#fail(error ?? new Error("the application destroyed the response before it ended"));
      }
      // As a net.Socket, the error goes to whoever listens (on-finished does, for Koa's
      // ctx.onerror and Express's finalhandler); Node's server always has a listener, and with
      // none here an 'error' would take the process down: then, as IncomingMessage does, none.
      callback(error !== null && this.listenerCount("error") > 0 ? error : null);
    }
  };
}

interface Opening {
  listenIfOpening(): void;
}

// One setImmediate for all the responses that started waiting in a turn of the event loop, not
// one each.
let waiting: Opening[] = [];

function listenLater(socket: Opening): void {
  if (waiting.push(socket) === 1) setImmediate(listenAllWaiting);
}

function listenAllWaiting(): void {
  const sockets = waiting;
  waiting = [];
  for (const socket of sockets) socket.listenIfOpening();
}

let needDrain: symbol | undefined;

// Node's server forwards a socket's 'drain' to the response that asked for it
// (socketOnDrain); without it an app that honours backpressure stalls (srvx#208).
function onSocketDrain(this: { _httpMessage: unknown }): void {
  const res = this._httpMessage as (ServerResponse & Record<symbol, unknown>) | null;
  if (res === null || !res.writableNeedDrain) return;
  needDrain ??= Object.getOwnPropertySymbols(res).find((key) => key.description === "kNeedDrain");
  if (needDrain !== undefined) res[needDrain] = false;
  res.emit("drain");
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? String(error)) : String(error);
}
