import { STATUS_CODES } from "node:http";
import type { Application, Body, Environ, Headers, StartResponse } from "../core/types.js";
import { createRequest } from "./fetch-request.js";

/** The second argument a fetch handler gets from `fromFetch`. */
export interface FetchEnv {
  /** The tsgi environ behind the request: REMOTE_USER, `tsgi.errors`, the raw meta-variables. */
  environ: Environ;
  /**
   * What @hono/node-server passes as `env.incoming`, as far as a gateway knows it: Hono's
   * `getConnInfo` (from `@hono/node-server/conninfo`) reads `incoming.socket.remoteAddress`.
   */
  incoming: { socket: { remoteAddress?: string; remotePort?: number; remoteFamily?: string } };
}

/** `(request, env) => Response`, as Hono's `app.fetch`, Bun, Deno and workers spell it. */
export type FetchHandler = (
  request: Request,
  env: FetchEnv,
  // biome-ignore lint/suspicious/noExplicitAny: the execution context differs per platform
  ...rest: any[]
) => Response | Promise<Response>;

/** A fetch handler, or an object with one: a Hono app, a module's `export default { fetch }`. */
export type FetchApp = FetchHandler | { fetch: FetchHandler };

/**
 * Runs a fetch handler (a Hono app, `export default { fetch }`, any `(request) => Response`) as
 * a tsgi application, on every front-end. The handler gets a lazily built `Request` whose URL
 * keeps the path as the client sent it (see fetch-request.ts) and whose `signal` fires when the
 * client goes; the `Response` body is streamed a chunk at a time with backpressure.
 *
 * @example
 * import { Hono } from "hono";
 * const hono = new Hono().get("/", (c) => c.text("hi"));
 * export default fromFetch(hono);
 */
export function fromFetch(handler: FetchApp): Application {
  const fetch = handlerOf(handler);
  return (environ, startResponse) => {
    const returned = fetch(createRequest(environ), fetchEnv(environ));
    if (returned instanceof Promise) {
      return returned.then((response) => respond(response, environ, startResponse));
    }
    return respond(returned, environ, startResponse);
  };
}

function handlerOf(handler: FetchApp): FetchHandler {
  if (typeof handler === "function") return handler;
  if (handler && typeof handler.fetch === "function") return handler.fetch.bind(handler);
  throw new TypeError(
    "fromFetch: expected a function (request) => Response or an object with fetch",
  );
}

function fetchEnv(environ: Environ): FetchEnv {
  const address = environ.REMOTE_ADDR;
  const port = Number(environ.REMOTE_PORT);
  return {
    environ,
    incoming: {
      socket: {
        remoteAddress: address,
        remotePort: Number.isInteger(port) && port > 0 ? port : undefined,
        remoteFamily: address ? (address.includes(":") ? "IPv6" : "IPv4") : undefined,
      },
    },
  };
}

// RFC 9110 §7.6.1 and PEP 3333: hop-by-hop fields belong to one connection, not to the response.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
]);

// RFC 9110 §15.3.5, §15.4.5: these never have content; nor has any answer to HEAD (§9.3.2).
const NO_BODY = new Set([204, 205, 304]);

// What @hono/node-server answers with for a body without Content-Type: the same app says the
// same thing through tsgi as natively.
const DEFAULT_TYPE = "text/plain; charset=UTF-8";

async function respond(
  response: Response,
  environ: Environ,
  startResponse: StartResponse,
): Promise<Body> {
  if (typeof (response as Response | undefined)?.status !== "number") {
    throw new TypeError(`fetch handler must return a Response, got ${typeof response}`);
  }
  const status = statusLine(response);
  const headers = responseHeaders(response);
  const body = response.body;
  if (!body || environ.REQUEST_METHOD === "HEAD" || NO_BODY.has(response.status)) {
    if (body) body.cancel().catch(noop);
    startResponse(status, headers);
    return [];
  }
  if (!headers.some(([name]) => name === "content-type"))
    headers.push(["content-type", DEFAULT_TYPE]);
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) {
    startResponse(status, withLength(headers, 0));
    return [];
  }
  const head = bytes(first.value);
  // One chunk and an end that is already there (a string or bytes Response): the length is
  // known, so say it, as a native server does; anything slower is streamed as it comes.
  const next = reader.read();
  const second = await soon(next);
  if (second?.done) {
    startResponse(status, withLength(headers, head.length));
    return [head];
  }
  startResponse(status, headers);
  return new StreamedBody(reader, head, next);
}

function statusLine(response: Response): string {
  const code = response.status;
  return `${code} ${STATUS_CODES[code] ?? (response.statusText || "Unknown")}`;
}

function responseHeaders(response: Response): Headers {
  const headers: Headers = [];
  const dropped = connectionTokens(response.headers.get("connection"));
  response.headers.forEach((value, name) => {
    if (name === "set-cookie" || HOP_BY_HOP.has(name) || dropped?.has(name)) return;
    headers.push([name, value]);
  });
  // Each Set-Cookie is a header of its own: joined with ", " they could not be parsed again.
  for (const cookie of response.headers.getSetCookie()) headers.push(["set-cookie", cookie]);
  return headers;
}

// RFC 9110 §7.6.1: a field named in Connection is hop-by-hop too.
function connectionTokens(value: string | null): Set<string> | undefined {
  if (!value) return undefined;
  return new Set(value.split(",").map((token) => token.trim().toLowerCase()));
}

function withLength(headers: Headers, length: number): Headers {
  if (!headers.some(([name]) => name === "content-length")) {
    headers.push(["content-length", String(length)]);
  }
  return headers;
}

/** The step, if it settles within this turn of the event loop (no I/O waited for); else null. */
function soon<T>(step: Promise<T>): Promise<T | null> {
  return new Promise((resolve, reject) => {
    const timer = setImmediate(() => resolve(null));
    step.then(
      (value) => {
        clearImmediate(timer);
        resolve(value);
      },
      (error) => {
        clearImmediate(timer);
        reject(error);
      },
    );
  });
}

/**
 * The rest of a streamed Response body: one chunk read, one yielded, the next read only when the
 * front-end took it (backpressure). `close()`, which the core always calls, cancels the stream
 * when the client left early, so the handler's producer (an SSE loop) stops.
 */
class StreamedBody implements AsyncIterable<Uint8Array> {
  #done = false;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<unknown>,
    private readonly head: Uint8Array,
    private next: Promise<ReadableStreamReadResult<unknown>>,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    yield this.head;
    for (;;) {
      const step = await this.next;
      if (step.done) {
        this.#done = true;
        return;
      }
      yield bytes(step.value);
      this.next = this.reader.read();
    }
  }

  async close(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    await this.reader.cancel().catch(noop);
  }
}

function bytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  // A hand-made stream may enqueue text; node:http would write it as UTF-8 too.
  if (typeof chunk === "string") return Buffer.from(chunk);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TypeError(`Response body chunk must be a Uint8Array, got ${typeof chunk}`);
}

function noop(): void {}
