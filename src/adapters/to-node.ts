import type { IncomingMessage, ServerResponse } from "node:http";
import { RequestAbort } from "../core/abort.js";
import { buildEnviron } from "../core/environ.js";
import { badRequestPage, gatewayPage } from "../core/error-app.js";
import { ClientGoneError, ProtocolError } from "../core/errors.js";
import { type RunOptions, runApp } from "../core/run.js";
import type { Application, Environ, ErrorStream } from "../core/types.js";
import { unquoteToBytes } from "../core/url.js";
import { metaVariablesFromMessage } from "../protocol/incoming.js";
import { NodeResponseSink } from "../sinks/node-response.js";

export interface ToNodeOptions {
  /** Where the app and the core log (`tsgi.errors`); default process.stderr. */
  errors?: ErrorStream;
  /** Answers when the app fails before its headers are sent (see runApp). */
  errorApp?: RunOptions["errorApp"];
}

const stderr: ErrorStream = {
  write: (text) => {
    process.stderr.write(text);
  },
  flush: () => {},
};

/**
 * Runs a tsgi application as a Node request listener: inside `http.createServer`, Express
 * (`app.use("/mount", toNode(app))`), Koa or Fastify. The request body streams into
 * `tsgi.input` and the response body out to `res`, with backpressure both ways; `tsgi.signal`
 * fires when the client leaves (`res` closes before `finish`).
 *
 * The environ is what a CGI server would build for the request: under an Express mount,
 * SCRIPT_NAME is `req.baseUrl` (decoded) and PATH_INFO the rest of the path, REQUEST_URI is
 * `req.originalUrl`; `tsgi.url_scheme` is https on a TLS socket. The returned promise settles
 * when the response is over; it never rejects.
 *
 * @example
 * // Express
 * app.use("/legacy", toNode(tsgiApp));
 * // Koa: let tsgi write the response
 * app.use(async (ctx) => { ctx.respond = false; await toNode(tsgiApp)(ctx.req, ctx.res); });
 * // Fastify
 * fastify.all("/*", (request, reply) => { reply.hijack(); toNode(tsgiApp)(request.raw, reply.raw); });
 */
export function toNode(
  app: Application,
  options: ToNodeOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const errors = options.errors ?? stderr;
  const runOptions: RunOptions = { errorApp: options.errorApp };
  return async (req, res) => {
    const abort = new RequestAbort();
    res.once("close", () => {
      if (!res.writableFinished) abort.abort(new ClientGoneError());
    });
    let environ: Environ;
    try {
      environ = buildEnviron(metaVariables(req), {
        source: req,
        // A chunked upload has no Content-Length: the body runs to the end of the request.
        bodyWithoutLength: "until-end",
        errors,
        signal: abort,
        multithread: false,
        multiprocess: false,
        runOnce: false,
      });
    } catch (error) {
      answerUnbuilt(req, res, error, errors);
      return;
    }
    // runApp never rejects: every failure is in its Outcome and on tsgi.errors.
    await runApp(app, environ, new NodeResponseSink(res), { ...runOptions, abort });
  };
}

/**
 * No environ could be built: a malformed Content-Length is the client's 400; anything else is
 * a bug here, answered 500 rather than left as an unhandled rejection in the host server.
 */
function answerUnbuilt(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  errors: ErrorStream,
): void {
  const bad = error instanceof ProtocolError;
  const reason = error instanceof Error ? error.message : String(error);
  errors.write(`tsgi: ${bad ? "400" : "500"} (${req.method} ${req.url}): ${reason}\n`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const page = bad ? badRequestPage(reason) : gatewayPage("500 Internal Server Error");
  res.writeHead(Number(page.status.slice(0, 3)), page.status.slice(4), page.headers.flat());
  res.end(page.body);
}

function metaVariables(req: IncomingMessage): Record<string, string> {
  // Under an Express mount, req.url is below it and originalUrl the whole target.
  const mounted = req as IncomingMessage & { originalUrl?: string; baseUrl?: string };
  const vars = metaVariablesFromMessage(req, {
    target: mounted.originalUrl,
    scriptName: mounted.baseUrl ? unquoteToBytes(mounted.baseUrl) : "",
  });
  const socket = req.socket;
  if (socket?.localAddress) vars.SERVER_ADDR = socket.localAddress;
  return vars;
}
