import { createServer, request as httpRequest, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { runApp } from "../../src/core/run.js";
import type { Application, Headers, Outcome, Sink } from "../../src/core/types.js";
import { metaVariablesFromRequest } from "../../src/protocol/cgi.js";
import { inject } from "../../src/testing/inject.js";
import { testEnviron } from "../helpers/environ.js";

/** One request, sent the same way to the native server and through tsgi. */
export interface Case {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Send the body without Content-Length (chunked natively; no CONTENT_LENGTH through tsgi, as nginx). */
  chunked?: boolean;
}

/** What both sides are compared on: status, headers less the connection's, body bytes. */
export interface Seen {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

// Connection-level or time-dependent: differ between a proxied server and a gateway by design.
const IGNORED = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

function comparable(status: number, headers: Iterable<[string, string]>, body: Buffer): Seen {
  const kept: Array<[string, string]> = [];
  for (const [name, value] of headers) {
    if (!IGNORED.has(name.toLowerCase())) kept.push([name.toLowerCase(), value]);
  }
  return { status, headers: kept, body: body.toString("latin1") };
}

/** A native node:http server for a listener (or a ready-made server) on 127.0.0.1:0. */
export async function listen(
  handler: RequestListener | Server,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = typeof handler === "function" ? createServer(handler) : handler;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request sent to a native server on `port`. */
export function viaNative(port: number, c: Case): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: "localhost", ...c.headers };
    const body = typeof c.body === "string" ? Buffer.from(c.body) : c.body;
    if (body && !c.chunked) headers["content-length"] = String(body.length);
    const req = httpRequest(
      { host: "127.0.0.1", port, method: c.method ?? "GET", path: c.url, headers, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (part: Buffer) => parts.push(part));
        res.on("end", () =>
          resolve(comparable(res.statusCode ?? 0, pairs(res.rawHeaders), Buffer.concat(parts))),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The same request through tsgi: inject(), or for `chunked` an environ without CONTENT_LENGTH. */
export async function viaTsgi(app: Application, c: Case): Promise<Seen> {
  const headers: Record<string, string> = { host: "localhost", ...c.headers };
  if (!c.chunked) {
    const res = await inject(app, { method: c.method, url: c.url, headers, body: c.body });
    return comparable(res.statusCode, res.headers, Buffer.from(res.body));
  }
  const res = await runRaw(app, c);
  return comparable(Number(res.status.slice(0, 3)), res.headers, res.body);
}

export interface RawResult {
  status: string;
  headers: Headers;
  body: Buffer;
  chunks: Buffer[];
  outcome: Outcome;
  errors: string;
}

/**
 * Runs `app` the way the FastCGI front-end does a chunked upload: the body runs to the end of
 * the input, no CONTENT_LENGTH; `environ` adds or replaces variables.
 */
export async function runRaw(
  app: Application,
  c: Case & { environ?: Record<string, string>; signal?: AbortSignal; sink?: Partial<Sink> },
): Promise<RawResult> {
  const headers: Array<[string, string]> = Object.entries({ host: "localhost", ...c.headers });
  const vars = metaVariablesFromRequest({ method: c.method ?? "GET", target: c.url, headers });
  Object.assign(vars, c.environ);
  const body = typeof c.body === "string" ? Buffer.from(c.body) : c.body;
  const log = { text: "" };
  const environ = testEnviron(vars, {
    source: body ? slices(body) : null,
    bodyWithoutLength: "until-end",
    errors: { write: (text) => void (log.text += text), flush() {} },
    signal: c.signal ?? new AbortController().signal,
  });
  const seen = { status: "", headers: [] as Headers, chunks: [] as Buffer[] };
  const sink: Sink = {
    commit(status, list) {
      seen.status = status;
      seen.headers = list;
    },
    write(chunk) {
      seen.chunks.push(Buffer.from(chunk));
    },
    end() {},
    abort() {},
    ...c.sink,
  };
  const outcome = await runApp(app, environ, sink);
  return { ...seen, body: Buffer.concat(seen.chunks), outcome, errors: log.text };
}

/** The body in a few pieces, as a chunked upload arrives. */
async function* slices(body: Buffer): AsyncGenerator<Uint8Array> {
  const step = Math.max(1, Math.ceil(body.length / 3));
  for (let at = 0; at < body.length; at += step) {
    await new Promise((resolve) => setImmediate(resolve));
    yield body.subarray(at, at + step);
  }
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}
