/**
 * `Response`: status, headers and a body, and itself an application (Werkzeug's
 * `response(environ, start_response)`): call it with an environ and a startResponse.
 *
 * @example
 * import { Response } from "tsgi";
 * const res = new Response("<p>hi</p>", { status: 200, headers: { "Content-Type": "text/html" } });
 * res.setCookie("seen", "1", { maxAge: 3600 });
 * export default res; // an app: every request gets this page
 */

import type { Body, Environ, StartResponse } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import { type CookieOptions, deleteCookieValue, setCookieValue } from "./cookies.js";
import { HeaderList, type HeadersInit } from "./headers.js";

type Chunk = string | Uint8Array;

/** What a Response can send: text (UTF-8), bytes, or chunks produced now or later. */
export type ResponseBody = Chunk | Iterable<Chunk> | AsyncIterable<Chunk> | null | undefined;

export interface ResponseInit {
  /** Default 200. */
  status?: number;
  /** Default the standard reason phrase. */
  statusText?: string;
  headers?: HeadersInit;
}

/** A base class whose instances type as apps: the constructor below returns a function. */
export const CallableApp = function CallableApp() {} as unknown as new () => (
  environ: Environ,
  startResponse: StartResponse,
) => Body;

export class Response extends CallableApp {
  declare status: number;
  declare statusText: string;
  declare headers: HeaderList;
  declare body: ResponseBody;

  constructor(body?: ResponseBody, init: ResponseInit = {}) {
    super();
    const app = ((environ: Environ, startResponse: StartResponse) =>
      app.respond(environ, startResponse)) as Response;
    Object.setPrototypeOf(app, new.target.prototype);
    app.status = checkStatus(init.status ?? 200);
    app.statusText = init.statusText ?? nodeHttp().STATUS_CODES[app.status] ?? "Unknown";
    app.headers = new HeaderList(init.headers);
    app.body = body;
    if (typeof body === "string" && !app.headers.has("content-type")) {
      app.headers.set("Content-Type", "text/plain; charset=utf-8");
    }
    // biome-ignore lint/correctness/noConstructorReturn: instances are apps (functions)
    return app;
  }

  /** A JSON response: `application/json`, the value serialised. */
  static json(data: unknown, init: ResponseInit = {}): Response {
    const headers = new HeaderList(init.headers);
    if (!headers.has("content-type")) headers.set("Content-Type", "application/json");
    return new Response(JSON.stringify(data), { ...init, headers: headers.toArray() });
  }

  /** A redirect (RFC 9110 §15.4), 302 unless given; `location` is sent as it is. */
  static redirect(location: string, status = 302): Response {
    return new Response(null, { status, headers: [["Location", location]] });
  }

  /** "200 OK": the status line startResponse takes. */
  get statusLine(): string {
    return `${this.status} ${this.statusText}`;
  }

  /** Adds a Set-Cookie with safe defaults (HttpOnly, SameSite=Lax, Path=/). */
  setCookie(name: string, value: string, options?: CookieOptions): this {
    this.headers.append("Set-Cookie", setCookieValue(name, value, options));
    return this;
  }

  /** Adds a Set-Cookie that removes the cookie; pass the path and domain it was set with. */
  deleteCookie(name: string, options?: CookieOptions): this {
    this.headers.append("Set-Cookie", deleteCookieValue(name, options));
    return this;
  }

  /** Sends this response: the app behind the call signature. */
  respond(_environ: Environ, startResponse: StartResponse): Body {
    const headers = this.headers.toArray();
    const body = this.body;
    const fixed = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    if (fixed == null || fixed instanceof Uint8Array) {
      const bytes = fixed ?? new Uint8Array(0);
      if (!this.headers.has("content-length") && !bodiless(this.status)) {
        headers.push(["Content-Length", String(bytes.length)]);
      }
      startResponse(this.statusLine, headers);
      return bytes.length ? [bytes] : [];
    }
    startResponse(this.statusLine, headers);
    return chunks(fixed as Iterable<Chunk> | AsyncIterable<Chunk>);
  }
}

// RFC 9110 §15.2, §15.3.5, §15.4.5: no content for 1xx, 204 and 304.
function bodiless(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`Response status ${status} is not a three-digit code (RFC 9110 §15)`);
  }
  return status;
}

function toBytes(chunk: Chunk): Uint8Array {
  return typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
}

/** The chunks as bytes, keeping the source's close() (or return()) for the gateway. */
function chunks(source: Iterable<Chunk> | AsyncIterable<Chunk>): Body {
  const closable = source as { close?(): void | Promise<void> };
  const close = closable.close ? () => closable.close?.() : undefined;
  if (Symbol.asyncIterator in source) {
    return {
      async *[Symbol.asyncIterator]() {
        for await (const chunk of source) yield toBytes(chunk);
      },
      close,
    };
  }
  return {
    *[Symbol.iterator]() {
      for (const chunk of source) yield toBytes(chunk);
    },
    close,
  };
}
