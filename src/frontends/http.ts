import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buildEnviron } from "../core/environ.js";
import { badRequestPage } from "../core/error-app.js";
import { ClientGoneError, ProtocolError } from "../core/errors.js";
import { type RunOptions, runApp } from "../core/run.js";
import type { Application, Environ, ErrorStream, Outcome } from "../core/types.js";
import { metaVariablesFromMessage } from "../protocol/incoming.js";
import { NodeResponseSink } from "../sinks/node-response.js";

export interface ServeOptions {
  /** Address to listen on; default "127.0.0.1" (this server is not meant to face a network). */
  host?: string;
  /** TCP port; default 8080; 0 picks a free one (read it from the result). */
  port?: number;
  /** One access-log line per request on stderr; default false. */
  log?: boolean;
  /** Answers when the app fails before its headers are sent (see runApp). */
  errorApp?: RunOptions["errorApp"];
}

export interface DevServer {
  server: Server;
  /** "http://127.0.0.1:8080" */
  url: string;
  port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const stderrErrors: ErrorStream = {
  write: (text) => {
    process.stderr.write(text);
  },
  flush: () => {},
};

/**
 * A development HTTP server for an application, on `node:http`.
 *
 * **For development only**: it has no timeouts, limits or process management worth the name.
 * In production put the app behind a real web server through CGI or FastCGI.
 *
 * @example
 * const { url, close } = await serve(app, { port: 0 });
 * console.log(await (await fetch(url)).text());
 * await close();
 */
export function serve(app: Application, options: ServeOptions = {}): Promise<DevServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    handle(app, req, res, options).catch((error) => internalFailure(res, error));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      const shown = host.includes(":") ? `[${host}]` : host;
      resolve({ server, url: `http://${shown}:${port}`, port, close: () => stop(server) });
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // A keep-alive or streaming connection would hold close() open indefinitely.
    server.closeAllConnections();
  });
}

async function handle(
  app: Application,
  req: IncomingMessage,
  res: ServerResponse,
  options: ServeOptions,
): Promise<void> {
  const started = Date.now();
  const controller = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) controller.abort(new ClientGoneError());
  });
  let environ: Environ;
  try {
    environ = buildEnviron(metaVariablesFromMessage(req), {
      source: req,
      // Chunked uploads carry no Content-Length: the body runs to the end of the request stream.
      bodyWithoutLength: "until-end",
      errors: stderrErrors,
      signal: controller.signal,
      multithread: false,
      multiprocess: false,
      runOnce: false,
    });
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    stderrErrors.write(`tsgi: 400 Bad Request (${req.method} ${req.url}): ${error.message}\n`);
    badRequest(res, error.message);
    if (options.log) accessLog(req, "400 Bad Request", 0, started);
    return;
  }
  const outcome = await runApp(app, environ, new NodeResponseSink(res), {
    errorApp: options.errorApp,
  });
  if (options.log) accessLog(req, describeOutcome(outcome), outcome.bytesSent, started);
}

function badRequest(res: ServerResponse, reason: string): void {
  const { headers, body } = badRequestPage(reason);
  // The connection closes: the rest of a request whose length cannot be trusted is not read.
  res.writeHead(400, "Bad Request", [...headers.flat(), "Connection", "close"]);
  res.end(body);
}

// A bug in this file, not in the app: say so and do not leave the client hanging.
function internalFailure(res: ServerResponse, error: unknown): void {
  process.stderr.write(`tsgi: dev server failure: ${String(error)}\n`);
  if (!res.headersSent) {
    res.writeHead(500, ["Content-Type", "text/plain", "Connection", "close"]);
    res.end("Internal Server Error\n");
  } else {
    res.destroy();
  }
}

function describeOutcome(outcome: Outcome): string {
  const status = outcome.status ?? "-";
  return outcome.kind === "ok" || outcome.kind === "error" ? status : `${status} (${outcome.kind})`;
}

function accessLog(req: IncomingMessage, status: string, bytes: number, started: number): void {
  const line = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
  const ms = Date.now() - started;
  process.stderr.write(
    `tsgi: ${req.socket.remoteAddress ?? "-"} "${line}" ${status} ${bytes} ${ms}ms\n`,
  );
}
