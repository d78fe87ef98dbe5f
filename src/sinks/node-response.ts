import type { ServerResponse } from "node:http";
import { ClientGoneError } from "../core/errors.js";
import type { Headers, Sink } from "../core/types.js";

/**
 * The core's Sink over a node:http ServerResponse, shared by the development server
 * (frontends/http.ts) and `toNode` (a tsgi app inside node:http, Express, Koa or Fastify): the
 * status and headers raw and in order, writes with backpressure, a broken response cut.
 */
export class NodeResponseSink implements Sink {
  constructor(private readonly res: ServerResponse) {}

  commit(status: string, headers: Headers): void {
    const res = this.res;
    const code = Number(status.slice(0, 3));
    if (res.getHeaderNames().length === 0) {
      const flat: string[] = [];
      for (const [name, value] of headers) flat.push(name, value);
      res.writeHead(code, status.slice(4), flat);
      return;
    }
    // A host set headers already (Express's X-Powered-By): writeHead(array) would then keep
    // only the last of a repeated name. The app's headers replace the host's by name, and a
    // repeated one (Set-Cookie) is appended.
    const seen = new Set<string>();
    for (const [name, value] of headers) {
      const lower = name.toLowerCase();
      if (seen.has(lower)) res.appendHeader(name, value);
      else {
        seen.add(lower);
        res.setHeader(name, value);
      }
    }
    res.writeHead(code, status.slice(4));
  }

  write(chunk: Uint8Array): void | Promise<void> {
    const res = this.res;
    if (res.destroyed) return Promise.reject(new ClientGoneError());
    // Copy: the app may reuse its buffer once write() resolved, while Node still queues this one.
    if (res.write(Buffer.from(chunk))) return;
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        res.off("close", onClose);
        resolve();
      };
      const onClose = () => {
        res.off("drain", onDrain);
        reject(new ClientGoneError());
      };
      res.once("drain", onDrain);
      res.once("close", onClose);
    });
  }

  end(): void {
    this.res.end();
  }

  // Design §1 rule 10: a response broken after its head must not look complete, so the
  // connection is cut instead of ending the chunked body or a short Content-Length.
  abort(): void {
    // Node corks the socket until the next tick: flush what was sent so the client sees the
    // head and the partial body, then the cut.
    const socket = this.res.socket;
    while (socket?.writableCorked) socket.uncork();
    this.res.destroy();
  }
}
