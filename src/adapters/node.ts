import type { IncomingMessage, ServerResponse } from "node:http";
import type { Application, Environ } from "../core/types.js";
import { serveNode } from "./node-serve.js";
import { isNodeSocket } from "./node-socket.js";
import { type NodeHandler, resolveTarget } from "./node-target.js";

export type { NodeHandler, NodeListener } from "./node-target.js";

export interface FromNodeOptions {
  /**
   * Bytes `res.write()` may have in flight before it returns false (and `drain` follows when
   * tsgi's sink took them). Default 16 KiB, a net.Socket's.
   */
  highWaterMark?: number;
}

/**
 * Runs a Node request listener as a tsgi application: Express 4 and 5, Connect, Koa (the app or
 * `app.callback()`), Fastify (the instance; `ready()` is awaited once) or an `http.Server` (its
 * `request` listeners), told apart by shape, without importing any of them.
 *
 * The handler gets a genuine `http.IncomingMessage` and `http.ServerResponse` on a socket of
 * tsgi's own (no subclass, no patched prototype), and sees what a native Node server behind
 * a proxy would: `req.url` as the client sent it below the mount, SCRIPT_NAME as Express's
 * mount (`req.baseUrl`, `req.originalUrl`), the request headers from `HTTP_*`,
 * `CONTENT_TYPE` and `CONTENT_LENGTH` (a body without a length, as nginx passes chunked
 * uploads, is `Transfer-Encoding: chunked`), `req.socket.remoteAddress`/`remotePort`/
 * `localAddress`/`localPort` from REMOTE_ADDR/REMOTE_PORT/SERVER_ADDR/SERVER_PORT, and
 * `req.socket.encrypted` when `tsgi.url_scheme` is https (`req.secure`, `req.protocol`).
 * The body streams from `tsgi.input` with backpressure.
 *
 * The response head Node serialises becomes the status and headers (`Set-Cookie` one header
 * per cookie; Connection, Keep-Alive, Date and every hop-by-hop header dropped; 1xx interim
 * responses dropped, since CGI and FastCGI cannot carry them). Each `res.write()` is a chunk
 * passed on at once, and `res.write()` returns false while tsgi's sink is full, then `drain`.
 * On a normal end the response emits `finish` then `close`; when the client leaves
 * (`tsgi.signal`) the request is destroyed (`aborted`, `close`) and the response gets `close`
 * without `finish`.
 *
 * Errors: a handler that throws (or whose returned promise rejects) before its head gets the
 * core's 500; after the head, the response is broken (design §1 rule 10). A status Node
 * accepts but CGI cannot carry (100-199 as a final status, 600-999) is refused by the core:
 * the client gets a 500 and the reason is logged on `tsgi.errors`.
 *
 * @example
 * import express from "express";
 * import { fromNode } from "tsgi";
 * const app = express();
 * app.get("/", (req, res) => res.send("hello"));
 * export default fromNode(app); // tsgi fcgi / tsgi cgi / inject()
 */
export function fromNode(handler: NodeHandler, options: FromNodeOptions = {}): Application {
  const target = resolveTarget(handler);
  const highWaterMark = options.highWaterMark;
  const app: Application = (environ, startResponse) => {
    if (target.booting !== null) {
      return target
        .booting()
        .then(() => serveNode(target.listener, environ, startResponse, highWaterMark));
    }
    return serveNode(target.listener, environ, startResponse, highWaterMark);
  };
  return app;
}

/**
 * The environ behind a request that {@link fromNode} made (for REMOTE_USER, `tsgi.errors` or
 * the raw meta-variables), given its `req` or `res`; undefined for any other request.
 */
export function environOf(message: IncomingMessage | ServerResponse): Environ | undefined {
  const socket =
    (message as { socket?: unknown }).socket ?? (message as ServerResponse).req?.socket;
  return isNodeSocket(socket) ? socket.environ : undefined;
}
