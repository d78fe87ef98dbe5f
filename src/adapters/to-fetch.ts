import { buildEnviron } from "../core/environ.js";
import { ClientGoneError } from "../core/errors.js";
import { runApp } from "../core/run.js";
import type { Application, ErrorStream, Headers, Sink } from "../core/types.js";
import { metaVariablesFromRequest } from "../protocol/cgi.js";

export interface ToFetchOptions {
  /** `tsgi.errors`; defaults to the process's stderr. */
  errors?: ErrorStream;
  /** REMOTE_ADDR, when the fetch server knows it (Bun's `server.requestIP`, Deno's `info`). */
  remoteAddress?: (request: Request) => string | undefined;
}

/**
 * Runs a tsgi application as a fetch handler: on Bun, Deno, a worker, inside Hono
 * (`app.mount("/legacy", toFetch(legacy))`) or in a fetch-style test. The environ comes from the
 * Request (PATH_INFO is the URL path percent-decoded to a byte string, headers become HTTP_*,
 * the body streams from `request.body`); the Response resolves once the app sent its headers,
 * and its body is a stream the app fills only as fast as it is read. The app's `close()` is
 * called when the stream ends or its reader cancels it.
 */
export function toFetch(
  app: Application,
  options: ToFetchOptions = {},
): (request: Request) => Promise<Response> {
  const errors = options.errors ?? STDERR;
  return (request) => {
    const url = new URL(request.url);
    const vars = metaVariablesFromRequest({
      method: request.method,
      target: url.pathname + url.search,
      headers: headerPairs(request.headers, url.host),
      serverName: url.hostname,
      serverPort: url.port || (url.protocol === "https:" ? 443 : 80),
      scheme: url.protocol === "https:" ? "https" : "http",
      remoteAddr: options.remoteAddress?.(request),
    });
    const abort = new AbortController();
    const environ = buildEnviron(vars, {
      source: request.body ? bodySource(request.body) : null,
      bodyWithoutLength: "until-end",
      errors,
      signal: AbortSignal.any([request.signal, abort.signal]),
      multithread: false,
      multiprocess: false,
      runOnce: false,
    });
    const sink = new StreamSink(request.method === "HEAD", abort);
    runApp(app, environ, sink).then(
      () => sink.settle(),
      (error: unknown) => sink.settle(error),
    );
    return sink.response;
  };
}

// A fetch Request carries no Host header (the HTTP layer adds it): HTTP_HOST comes from its URL.
function headerPairs(headers: globalThis.Headers, host: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = headers.has("host") ? [] : [["host", host]];
  headers.forEach((value, name) => {
    pairs.push([name, value]);
  });
  return pairs;
}

const STDERR: ErrorStream = {
  write: (text) => process.stderr.write(text),
  flush: () => undefined,
};

async function* bodySource(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  try {
    for (;;) {
      const step = await reader.read();
      if (step.done) return;
      yield step.value;
    }
  } finally {
    reader.releaseLock();
  }
}

// Fetch forbids a body with these statuses (Response constructor: "null body status").
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The core's sink as a ReadableStream. Nothing is queued beyond the one chunk the reader asked
 * for: `write` resolves only when the stream wants more (pull), so a 64 MiB download is read
 * from the app as fast as the fetch server sends it, never ahead of it.
 */
class StreamSink implements Sink {
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;
  #reject!: (error: unknown) => void;
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  #wanted: (() => void) | undefined;
  #gone: ClientGoneError | undefined;
  #stream: ReadableStream<Uint8Array>;
  #discard = false;

  constructor(
    private readonly head: boolean,
    private readonly cancelled: AbortController,
  ) {
    this.response = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#want(),
        cancel: (reason) => this.#cancel(reason),
      },
      { highWaterMark: 0 },
    );
  }

  commit(status: string, headers: Headers): void {
    const code = Number(status.slice(0, 3));
    const init = { status: code, statusText: status.slice(4), headers: toHeaders(headers) };
    // HEAD, 204, 304: the app's body (a HEAD app may send one) is dropped, not refused.
    this.#discard = this.head || NULL_BODY.has(code);
    this.#resolve(new Response(this.#discard ? null : this.#stream, init));
  }

  write(chunk: Uint8Array): void | Promise<void> {
    if (this.#gone) return Promise.reject(this.#gone);
    if (this.#discard) return;
    // A copy: the app may reuse its buffer once write() resolved, the reader may hold it longer.
    this.#controller?.enqueue(chunk.slice());
    if ((this.#controller?.desiredSize ?? 0) > 0) return;
    return new Promise((resolve) => {
      this.#wanted = resolve;
    });
  }

  end(): void {
    if (!this.#gone && !this.#discard) this.#controller?.close();
  }

  abort(error: unknown): void {
    if (!this.#gone && !this.#discard) this.#controller?.error(error);
  }

  /** The run is over: a response that never got its headers (cannot happen short of a bug) fails. */
  settle(error?: unknown): void {
    this.#reject(error ?? new Error("tsgi application ended without a response"));
  }

  #want(): void {
    const wanted = this.#wanted;
    this.#wanted = undefined;
    wanted?.();
  }

  #cancel(reason: unknown): void {
    this.#gone = new ClientGoneError("the fetch client cancelled the response body", {
      cause: reason,
    });
    this.cancelled.abort(this.#gone);
    this.#want();
  }
}

function toHeaders(headers: Headers): globalThis.Headers {
  const out = new globalThis.Headers();
  for (const [name, value] of headers) out.append(name, value);
  return out;
}
