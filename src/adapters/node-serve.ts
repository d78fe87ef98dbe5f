import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Body, Environ, StartResponse } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import { createRequest, setRawHeaders } from "./node-request.js";
import { createSocket, isNodeSocket, type NodeSocket } from "./node-socket.js";
import type { NodeListener } from "./node-target.js";

/** One request: a genuine req/res pair on a NodeSocket, the listener called, the body returned. */
export function serveNode(
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
