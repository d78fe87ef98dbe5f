import type { Application, Environ } from "../core/types.js";
import { withLightResponse } from "./fetch-light-response.js";
import { createRequest } from "./fetch-request.js";
import { respond } from "./fetch-response.js";

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

export interface FromFetchOptions {
  /**
   * On (the default): while the handler's synchronous part runs, `Response` names a light class
   * that makes the real Response only when something reads it (see fetch-light-response.ts). A
   * string or bytes Response then costs no web stream, which on Node 20 is over half the CPU of
   * a Hono hello world (bench/micro/adapters-fetch.mjs). The global is put back before the
   * handler's call returns, so nothing else ever sees it. `false` leaves the global alone.
   */
  lightResponse?: boolean;
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
export function fromFetch(handler: FetchApp, options: FromFetchOptions = {}): Application {
  const fetch = handlerOf(handler);
  const light = options.lightResponse !== false;
  return (environ, startResponse) => {
    const request = createRequest(environ);
    const env = fetchEnv(environ);
    const returned = light ? withLightResponse(() => fetch(request, env)) : fetch(request, env);
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
  return new Env(environ);
}

/** `incoming` is made when read: most handlers never ask for the connection. */
class Env implements FetchEnv {
  constructor(readonly environ: Environ) {}

  get incoming(): FetchEnv["incoming"] {
    const address = this.environ.REMOTE_ADDR;
    const port = Number(this.environ.REMOTE_PORT);
    const family = address ? (address.includes(":") ? "IPv6" : "IPv4") : undefined;
    const remotePort = Number.isInteger(port) && port > 0 ? port : undefined;
    return { socket: { remoteAddress: address, remotePort, remoteFamily: family } };
  }
}
