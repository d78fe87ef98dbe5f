import { HOP_BY_HOP } from "../core/headers.js";
import type { Body, Environ, Headers, StartResponse } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import { lightParts } from "./fetch-light-response.js";

// RFC 9110 §7.6.1 and PEP 3333: hop-by-hop fields belong to one connection, not to the response.
const DROPPED = new Set([...HOP_BY_HOP, "proxy-connection"]);

// RFC 9110 §15.3.5, §15.4.5: these never have content; nor has any answer to HEAD (§9.3.2).
const NO_BODY = new Set([204, 205, 304]);

// What @hono/node-server answers with for a body without Content-Type: the same app says the
// same thing through tsgi as natively.
const DEFAULT_TYPE = "text/plain; charset=UTF-8";

/**
 * Turns a fetch Response into the tsgi response: status line, headers, and a body that is the
 * Response's bytes at once when they are known (a string or bytes Response) or its stream read
 * one chunk at a time. Synchronous when it can be, so a sync handler costs no promise.
 */
export function respond(
  response: Response,
  environ: Environ,
  startResponse: StartResponse,
): Body | Promise<Body> {
  const light = lightParts(response);
  if (light) {
    const { status, statusText, headers, body } = light;
    return send(status, statusText, headers, body, response, environ, startResponse);
  }
  if (typeof (response as Response | undefined)?.status !== "number") {
    throw new TypeError(`fetch handler must return a Response, got ${typeof response}`);
  }
  // Status and headers first: @hono/node-server's own Response (when it replaced the global in
  // this process) answers those from its cache but makes a real Response for statusText.
  const status = response.status;
  const headers = response.headers;
  const known = knownBody(response);
  const statusText = nodeHttp().STATUS_CODES[status] ? "" : response.statusText;
  return send(status, statusText, headers, known, response, environ, startResponse);
}

function send(
  code: number,
  statusText: string,
  fields: globalThis.Headers,
  known: Uint8Array | null | undefined,
  response: Response,
  environ: Environ,
  startResponse: StartResponse,
): Body | Promise<Body> {
  const status = statusLine(code, statusText);
  const headers = responseHeaders(fields);
  if (known === null || environ.REQUEST_METHOD === "HEAD" || NO_BODY.has(code)) {
    if (known === undefined) response.body?.cancel().catch(noop);
    startResponse(status, headers);
    return EMPTY;
  }
  if (!headers.some(([name]) => name === "content-type"))
    headers.push(["content-type", DEFAULT_TYPE]);
  if (known !== undefined) {
    startResponse(status, withLength(headers, known.length));
    return known.length ? [known] : EMPTY;
  }
  return streamed(response.body as ReadableStream<unknown>, status, headers, startResponse);
}

const EMPTY: Body = Object.freeze([]) as unknown as Body;

// undici (Node's fetch) keeps what a Response was made from beside its stream. Reading that
// instead of the stream saves ~15 µs a request (bench/micro/adapters-fetch.mjs); where the
// shape is not there (another runtime, a later undici), the stream is read as usual.
let stateKey: symbol | undefined | null;

/**
 * The body's bytes when the Response was made from a string or bytes and nobody read it yet;
 * null when it has no body; undefined when only its stream can tell.
 */
function knownBody(response: Response): Uint8Array | null | undefined {
  if (stateKey === undefined) {
    stateKey =
      Object.getOwnPropertySymbols(response).find((key) => key.description === "state") ?? null;
  }
  const state = stateKey
    ? (response as unknown as Record<symbol, UndiciState | undefined>)[stateKey]
    : undefined;
  if (!state || typeof state !== "object" || !("body" in state))
    return response.body ? undefined : null;
  const body = state.body;
  if (body === null) return null;
  const source = body?.source;
  if (body?.stream?.locked !== false) return undefined;
  if (typeof source === "string") return Buffer.from(source);
  if (source instanceof Uint8Array) return source;
  return undefined;
}

interface UndiciState {
  body: { stream?: ReadableStream; source?: unknown } | null;
}

async function streamed(
  body: ReadableStream<unknown>,
  status: string,
  headers: Headers,
  startResponse: StartResponse,
): Promise<Body> {
  const reader = body.getReader();
  const first = await reader.read();
  if (first.done) {
    startResponse(status, withLength(headers, 0));
    return EMPTY;
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

function statusLine(code: number, statusText: string): string {
  const reason = nodeHttp().STATUS_CODES[code];
  // Node's reason phrase, as node:http (and so @hono/node-server) sends it.
  if (reason) return (STATUS_LINES[code] ??= `${code} ${reason}`);
  return `${code} ${statusText || "Unknown"}`;
}

const STATUS_LINES: Record<number, string> = {};

/** One pass over the Headers (each call into undici costs a brand check and a sort). */
function responseHeaders(source: globalThis.Headers): Headers {
  let headers: Headers = [];
  let connection: string | undefined;
  let cookies = false;
  source.forEach((value, name) => {
    if (name === "set-cookie") cookies = true;
    else if (name === "connection") connection = value;
    else if (!DROPPED.has(name)) headers.push([name, value]);
  });
  if (connection) {
    const named = connectionTokens(connection);
    headers = headers.filter(([name]) => !named.has(name));
  }
  // Each Set-Cookie is a header of its own: joined with ", " they could not be parsed again.
  if (cookies) for (const cookie of source.getSetCookie()) headers.push(["set-cookie", cookie]);
  return headers;
}

// RFC 9110 §7.6.1: a field named in Connection is hop-by-hop too.
function connectionTokens(value: string): Set<string> {
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
