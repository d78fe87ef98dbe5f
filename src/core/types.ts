/**
 * The tsgi contract: PEP 3333 (WSGI) in TypeScript.
 *
 * Strings in the environ, the status and the headers are *byte strings*: each char code is one
 * raw byte (latin-1), as PEP 3333's "native strings". Use `decodeUtf8()` for text.
 */

import type { FileWrapperFactory } from "./file-wrapper.js";

/** A list of response headers, `[name, value]`, in the order they go out. */
export type Headers = Array<[string, string]>;

/**
 * `tsgi.input`: the request body, bounded by CONTENT_LENGTH. Every method resolves to an empty
 * `Uint8Array` at the end of the body.
 */
export interface Input extends AsyncIterable<Uint8Array> {
  /** Up to `size` bytes (all that remain when omitted); empty at the end of the body. */
  read(size?: number): Promise<Uint8Array>;
  /** One line including its `\n`, at most `limit` bytes; empty at the end of the body. */
  readline(limit?: number): Promise<Uint8Array>;
}

/** `tsgi.errors`: where the app and the gateway log (stderr, or FCGI_STDERR records). */
export interface ErrorStream {
  write(text: string): void;
  flush(): void | Promise<void>;
}

/** The request environment: CGI meta-variables plus the `tsgi.*` keys. */
export interface Environ {
  REQUEST_METHOD: string;
  SCRIPT_NAME: string;
  PATH_INFO: string;
  QUERY_STRING: string;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SERVER_PROTOCOL: string;
  CONTENT_TYPE?: string;
  CONTENT_LENGTH?: string;
  REMOTE_ADDR?: string;
  /** Request headers, as RFC 3875 §4.1.18 meta-variables. */
  [header: `HTTP_${string}`]: string | undefined;
  "tsgi.version": readonly [1, 0];
  "tsgi.url_scheme": "http" | "https";
  "tsgi.input": Input;
  "tsgi.errors": ErrorStream;
  "tsgi.multithread": boolean;
  "tsgi.multiprocess": boolean;
  "tsgi.run_once": boolean;
  /** Fires when the client is gone, the request is aborted or timed out. */
  "tsgi.signal": AbortSignal;
  /** PEP 3333's optional file handling: wraps an open file as a body (see core/file-wrapper.ts). */
  "tsgi.file_wrapper"?: FileWrapperFactory;
  /** Whatever else the web server or a middleware puts here. */
  [key: string]: unknown;
}

/** Sends a chunk of the body right away; resolves when the front-end's sink accepted it. */
export type Write = (chunk: Uint8Array) => Promise<void>;

/**
 * PEP 3333's `start_response`. Call it once with `"NNN Reason"` and the headers; call it again
 * only from an error handler, with `excInfo` (the caught error): before the headers are sent it
 * replaces them, after they are sent it throws `excInfo`.
 */
export type StartResponse = (status: string, headers: Headers, excInfo?: unknown) => Write;

/** The response body: chunks of bytes, with an optional `close()` the gateway always calls. */
export type Body = (Iterable<Uint8Array> | AsyncIterable<Uint8Array>) & {
  close?(): void | Promise<void>;
};

/** A web application. */
export type Application = (environ: Environ, startResponse: StartResponse) => Body | Promise<Body>;

/** Wraps an application in another. */
// biome-ignore lint/suspicious/noExplicitAny: options differ per middleware
export type Middleware<Options extends any[] = any[]> = (
  app: Application,
  ...options: Options
) => Application;

/**
 * Where a front-end puts the response. The core calls `commit` once, then `write` for each
 * non-empty chunk, then either `end` or `abort`. A returned promise means "wait before the next
 * call" (backpressure); a rejected one with a ClientGoneError means the client left.
 */
export interface Sink {
  commit(status: string, headers: Headers): void | Promise<void>;
  write(chunk: Uint8Array): void | Promise<void>;
  end(): void | Promise<void>;
  /** Break the response so it cannot look complete (design §1 rule 10). */
  abort(error: unknown): void;
}

/** How one run of an application ended. */
export interface Outcome {
  /** `ok`: complete; `error`: the app failed before headers and got a 500; `broken`: failed after; `gone`: client left. */
  kind: "ok" | "error" | "broken" | "gone";
  /** The status line that went out, if any. */
  status?: string;
  /** Body bytes handed to the sink. */
  bytesSent: number;
  /** Bytes the app offered past its declared Content-Length, dropped (design §1 rule 8). */
  overrun?: number;
  error?: unknown;
}
