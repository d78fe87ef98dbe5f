import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Environ } from "../core/types.js";
import { nodeHttp } from "./builtins.js";
import type { NodeSocket } from "./node-socket.js";
import { requestHeaders, requestLine } from "./request-line.js";

/** The genuine IncomingMessage a native Node server would make for this request. */
export function createRequest(socket: NodeSocket, environ: Environ): IncomingMessage {
  const req = new (nodeHttp().IncomingMessage)(socket as unknown as Socket);
  const { target, mount } = requestLine(environ);
  req.method = environ.REQUEST_METHOD;
  req.url = target;
  setVersion(req, environ.SERVER_PROTOCOL);
  setRawHeaders(req, requestHeaders(environ));
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
export function setRawHeaders(req: IncomingMessage, raw: string[]): void {
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
