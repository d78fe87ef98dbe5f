/**
 * Running a request handler as an application: what `Request.application` does with the
 * handler's result. A tsgi Response is an app already; a Web `Response` is sent with its body
 * streamed; an HttpError thrown by the handler becomes its own status.
 */

import type { Body, Headers, StartResponse } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import { isHttpError } from "./http-error.js";
import { Response } from "./response.js";

/** What a handler may return. */
export type HandlerResult = Response | globalThis.Response | string;

export type Handler<R> = (request: R) => HandlerResult | Promise<HandlerResult>;

interface Disposable {
  environ: Parameters<Response>[0];
  dispose(): Promise<void>;
}

export async function runHandler<R extends Disposable>(
  request: R,
  handler: Handler<R>,
  startResponse: StartResponse,
): Promise<Body> {
  let body: Body;
  try {
    const result = await handle(request, handler);
    body = await toResponse(result)(request.environ, startResponse);
  } catch (err) {
    await request.dispose();
    throw err;
  }
  return withClose(body, () => request.dispose());
}

async function handle<R>(request: R, handler: Handler<R>): Promise<HandlerResult> {
  try {
    return await handler(request);
  } catch (err) {
    if (!isHttpError(err)) throw err;
    return new Response(`${err.message}\n`, { status: err.status });
  }
}

function toResponse(result: HandlerResult): Response | ReturnType<typeof fromWeb> {
  // By shape, not instanceof: the CGI bundle and the main entry each hold a copy of the class.
  if (typeof result === "function" && typeof (result as Response).respond === "function") {
    return result;
  }
  if (typeof result === "string") return new Response(result);
  if (result instanceof globalThis.Response) return fromWeb(result);
  throw new TypeError(
    `a Request.application handler must return a Response, a Web Response or a string, got ${typeof result}`,
  );
}

/** A Web `Response` as an app: its status, headers (each Set-Cookie apart) and streamed body. */
export function fromWeb(web: globalThis.Response) {
  return (_environ: unknown, startResponse: StartResponse): Body => {
    const headers: Headers = [];
    web.headers.forEach((value, name) => {
      if (name !== "set-cookie") headers.push([name, value]);
    });
    for (const cookie of web.headers.getSetCookie()) headers.push(["set-cookie", cookie]);
    const reason = web.statusText || nodeHttp().STATUS_CODES[web.status] || "Unknown";
    startResponse(`${web.status} ${reason}`, headers);
    if (!web.body) return [];
    const reader = web.body.getReader();
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const step = await reader.read();
          if (step.done) return;
          if (step.value.length) yield step.value;
        }
      },
      close: () => reader.cancel().catch(() => {}),
    };
  };
}

/** The body with `extra` run after its own close(), exactly once, whatever happens. */
function withClose(body: Body, extra: () => Promise<void>): Body {
  const inner = body.close?.bind(body);
  const close = async () => {
    try {
      await inner?.();
    } finally {
      await extra();
    }
  };
  if (Symbol.asyncIterator in body) {
    const source = body as AsyncIterable<Uint8Array>;
    return { [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](), close };
  }
  const source = body as Iterable<Uint8Array>;
  return { [Symbol.iterator]: () => source[Symbol.iterator](), close };
}
