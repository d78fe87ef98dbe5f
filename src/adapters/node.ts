import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Application, Body, Environ, StartResponse } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import { createSocket, isNodeSocket, type NodeSocket } from "./node-socket.js";
import { requestHeaders, requestLine } from "./request-line.js";

/** A Node request listener: Express 4/5 and Connect apps, Koa's `app.callback()`, ... */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** What {@link fromNode} accepts: a listener, a Koa app, a Fastify instance or an http.Server. */
export type NodeHandler =
  | NodeListener
  | { callback(): NodeListener }
  | { ready(): PromiseLike<unknown>; routing(req: IncomingMessage, res: ServerResponse): unknown }
  | {
      emit(event: "request", req: IncomingMessage, res: ServerResponse): unknown;
      listeners(event: string): unknown[];
    };

export interface FromNodeOptions {
  /**
   * Bytes `res.write()` may have in flight before it returns false (and `drain` follows when
   * tsgi's sink took them). Default 16 KiB, a net.Socket's.
   */
  highWaterMark?: number;
}

interface Target {
  listener: NodeListener;
  /** Resolves when the handler can take requests (Fastify's ready()); null once it can. */
  booting: (() => Promise<void>) | null;
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

function resolveTarget(handler: NodeHandler): Target {
  if (typeof handler === "function") return { listener: handler, booting: null };
  const shape = handler as Record<string, unknown>;
  if (handler !== null && typeof handler === "object") {
    if (typeof shape.routing === "function" && typeof shape.ready === "function") {
      return fastifyTarget(handler as { ready(): PromiseLike<unknown>; routing: NodeListener });
    }
    if (typeof shape.callback === "function") {
      // Koa composes its middleware in callback(): made at the first request, so middleware
      // added after fromNode(app) (an app module that exports first) is in it.
      const koa = handler as { callback(): NodeListener };
      let callback: NodeListener | undefined;
      return { listener: (req, res) => (callback ??= koa.callback())(req, res), booting: null };
    }
    if (typeof shape.emit === "function" && typeof shape.listeners === "function") {
      const server = handler as { emit(event: string, ...args: unknown[]): unknown };
      return { listener: (req, res) => server.emit("request", req, res), booting: null };
    }
  }
  const got =
    handler === null
      ? "null"
      : typeof handler === "object"
        ? `an object with keys ${Object.keys(handler).slice(0, 8).join(", ") || "(none)"}`
        : typeof handler;
  throw new TypeError(
    `fromNode(handler): expected a request listener (req, res), an Express/Connect/Koa app, a Fastify instance or an http.Server; got ${got}`,
  );
}

// Fastify boots asynchronously (plugins, routes): wait for ready() once (fastify#804).
function fastifyTarget(fastify: { ready(): PromiseLike<unknown>; routing: NodeListener }): Target {
  let ready: Promise<void> | null = null;
  const target: Target = {
    listener: (req, res) => fastify.routing(req, res),
    booting: () => {
      ready ??= Promise.resolve(fastify.ready()).then(() => {
        target.booting = null;
      });
      return ready;
    },
  };
  return target;
}

/** One request: a genuine req/res pair on a NodeSocket, the listener called, the body returned. */
function serveNode(
  listener: NodeListener,
  environ: Environ,
  startResponse: StartResponse,
  highWaterMark: number | undefined,
): Body | Promise<Body> {
  const socket = createSocket(environ, startResponse, highWaterMark);
  const req = createRequest(socket, environ);
  const res = new (nodeHttp().ServerResponse)(req);
  // Node must not chunk-frame (the web server frames) nor date the response: with
  // Transfer-Encoding removed it sets Content-Length exactly where it would natively.
  res.sendDate = false;
  res.shouldKeepAlive = false;
  res.removeHeader("transfer-encoding");
  res.assignSocket(socket as unknown as Socket);
  socket.req = req;
  socket.res = res;
  res.on("finish", onResponseFinish);
  socket.on("drain", onSocketDrain);
  const input = environ["tsgi.input"];
  switch (bodyKind(environ)) {
    case "none":
      run(listener, req, res, socket);
      // As Node's parser: the message completes after the 'request' listeners ran.
      if (!req.destroyed) {
        req.complete = true;
        req.push(null);
      }
      return bodyOf(socket);
    case "present":
      socket.streamBody(null, input[Symbol.asyncIterator]());
      run(listener, req, res, socket);
      return bodyOf(socket);
    default: {
      // No CONTENT_LENGTH and no Transfer-Encoding: a body ends the input (FastCGI STDIN).
      const it = input[Symbol.asyncIterator]();
      return it.next().then((step) => {
        if (step.done) {
          req.complete = true;
          req.push(null);
        } else {
          // nginx passes a chunked upload without CONTENT_LENGTH: body parsers read a body
          // only when Content-Length or Transfer-Encoding says there is one (RFC 9112 §6.3).
          setRawHeaders(req, [...req.rawHeaders, "transfer-encoding", "chunked"]);
          socket.streamBody(step.value, it);
        }
        run(listener, req, res, socket);
        return bodyOf(socket);
      });
    }
  }
}

/**
 * What the app returns: the whole body when the listener ended the response already (an
 * array, sent at once), else, once Node wrote something, the whole body if it ended meanwhile
 * or the iterator over what it writes.
 */
function bodyOf(socket: NodeSocket): Body | Promise<Body> {
  const settled = socket.settled();
  if (settled !== null) return settled;
  const written = socket.written();
  if (written === null) return new ResponseBody(socket);
  return written.then(() => socket.settled() ?? new ResponseBody(socket));
}

function createRequest(socket: NodeSocket, environ: Environ): IncomingMessage {
  const req = new (nodeHttp().IncomingMessage)(socket as unknown as Socket);
  const { target, mount } = requestLine(environ);
  req.method = environ.REQUEST_METHOD;
  req.url = target;
  setVersion(req, environ.SERVER_PROTOCOL);
  const raw: string[] = [];
  for (const [name, value] of requestHeaders(environ)) raw.push(name, value);
  setRawHeaders(req, raw);
  if (mount !== "") {
    // Express's router starts from these when present (router: `req.baseUrl || ''`,
    // `req.originalUrl || req.url`), exactly as for an app mounted with app.use(mount, app).
    const own = req as IncomingMessage & { baseUrl?: string; originalUrl?: string };
    own.baseUrl = mount;
    own.originalUrl = mount + target;
  }
  return req;
}

/**
 * `req.httpVersion` from SERVER_PROTOCOL. HTTP/1.0 stays 1.0 (Node then frames and keeps alive
 * as for a 1.0 client); HTTP/2 and HTTP/3 reach a Node server behind a proxy as HTTP/1.1, and
 * ServerResponse would treat a "2.0" as 1.0 (no Content-Length of its own): they are 1.1 here.
 */
function setVersion(req: IncomingMessage, protocol: string): void {
  if (protocol === "HTTP/1.0") {
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 0;
    req.httpVersion = "1.0";
  } else {
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = "1.1";
  }
}

let headersCount: symbol | undefined;

/**
 * Node builds `req.headers` and `req.headersDistinct` from `rawHeaders` lazily, with its own
 * rules for repeated names, counting `kHeadersCount` entries, an own property its parser sets.
 * Set it the same way; should a Node version not have it, build `req.headers` through
 * `_addHeaderLine` (Node's rules still) and its public setter.
 */
function setRawHeaders(req: IncomingMessage, raw: string[]): void {
  req.rawHeaders = raw;
  headersCount ??= Object.getOwnPropertySymbols(req).find(
    (key) => key.description === "kHeadersCount",
  );
  if (headersCount !== undefined) {
    (req as unknown as Record<symbol, number>)[headersCount] = raw.length;
    return;
  }
  const add = (
    req as unknown as { _addHeaderLine(name: string, value: string, into: object): void }
  )._addHeaderLine;
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) add.call(req, raw[i], raw[i + 1], headers);
  req.headers = headers;
}

/** "none": no body; "present": CONTENT_LENGTH or Transfer-Encoding; "unknown": look at the input. */
function bodyKind(environ: Environ): "none" | "present" | "unknown" {
  const length = environ.CONTENT_LENGTH;
  if (length !== undefined) return length === "0" ? "none" : "present";
  if (environ.HTTP_TRANSFER_ENCODING !== undefined) return "present";
  const method = environ.REQUEST_METHOD;
  return method === "GET" || method === "HEAD" ? "none" : "unknown";
}

function run(
  listener: NodeListener,
  req: IncomingMessage,
  res: ServerResponse,
  socket: NodeSocket,
): void {
  try {
    const returned = listener(req, res);
    if (isThenable(returned)) returned.then(undefined, (error: unknown) => socket.fail(error));
  } catch (error) {
    socket.fail(error);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The tsgi body over the socket's writes; the core pulls it, synchronously when it can. */
class ResponseBody implements AsyncIterator<Uint8Array, undefined> {
  constructor(private readonly socket: NodeSocket) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    // The core takes a plain result as well as a promise: most responses need no promise.
    return this.socket.nextChunk() as Promise<IteratorResult<Uint8Array, undefined>>;
  }

  return(): Promise<IteratorResult<Uint8Array, undefined>> {
    this.socket.stop(new Error("the response was stopped"));
    return DONE;
  }
}

const DONE = Promise.resolve({ done: true, value: undefined } as const);

// Node's server does the same on 'finish' (resOnFinish): an unread body is read and dropped,
// the socket detached, and 'close' follows on the next tick.
function onResponseFinish(this: ServerResponse): void {
  const socket = this.socket as unknown as NodeSocket | null;
  if (!isNodeSocket(socket)) return;
  socket.finished();
  const req = socket.req as IncomingMessage & {
    _consuming?: boolean;
    _dump?: () => void;
    _readableState?: { resumeScheduled?: boolean };
  };
  if (!req._consuming && !req._readableState?.resumeScheduled) req._dump?.();
  this.detachSocket(socket as unknown as Socket);
  process.nextTick(emitClose, this);
}

function emitClose(res: ServerResponse): void {
  const state = res as ServerResponse & { _closed?: boolean };
  if (state._closed) return;
  state.destroyed = true;
  state._closed = true;
  res.emit("close");
}

let needDrain: symbol | undefined;

// Node's server forwards a socket's 'drain' to the response that asked for it
// (socketOnDrain); without it an app that honours backpressure stalls (srvx#208).
function onSocketDrain(this: NodeSocket): void {
  const res = this._httpMessage as (ServerResponse & Record<symbol, unknown>) | null;
  if (res === null || !res.writableNeedDrain) return;
  needDrain ??= Object.getOwnPropertySymbols(res).find((key) => key.description === "kNeedDrain");
  if (needDrain !== undefined) res[needDrain] = false;
  res.emit("drain");
}
