import type { Writable } from "node:stream";
import { buildEnviron } from "../core/environ.js";
import { badRequestApp, errorApp as defaultErrorApp } from "../core/error-app.js";
import { ProtocolError, TsgiError } from "../core/errors.js";
import type { ByteSource } from "../core/input.js";
import { runApp } from "../core/run.js";
import type { Application, Environ, ErrorStream } from "../core/types.js";
import { readRawEnvironment, scrubRequestHeaders } from "./cgi/environment.js";
import { type Adapt, type AppKind, importAppSpec, resolveApp } from "./cgi/load-app.js";
import { fdErrors, fdOutput, type Output, streamOutput, takeStdout } from "./cgi/output.js";
import { settleFileWork } from "./cgi/settle.js";
import { CgiSink } from "./cgi/sink.js";
import { isStdin, Stdin } from "./cgi/stdin.js";

/** Where a CGI run reads and writes; every field defaults to the real process. */
export interface CgiOptions {
  /** Meta-variables as byte strings; default: the raw process environment (/proc/self/environ). */
  env?: Record<string, string>;
  /** The request body; default: stdin, opened only if the app reads a body. */
  stdin?: ByteSource | null;
  /** Where the response goes; default: file descriptor 1 (see cgi/output.ts). */
  stdout?: Writable;
  /** Where `tsgi.errors` and gateway log lines go; default: file descriptor 2. */
  stderr?: { write(text: string): unknown };
  /** Call process.exit() with the exit code once stdout is flushed; default true. */
  exit?: boolean;
  /**
   * Remove HTTP_* from `process.env` before the app runs (httpoxy); default true when `env`
   * is not given, since only then do the request headers live in the process environment.
   */
  scrubProcessEnv?: boolean;
  /** Answers when the app fails before its headers are sent; default: a plain 500 page. */
  errorApp?: Application;
}

export interface CgiModuleOptions extends CgiOptions {
  /** Which export of the loaded module is the app; default: `default`, else `app`. */
  exportName?: string;
  /** What a bare function export is (`--adapter`); default: detected, see cgi/app-kind.ts. */
  adapter?: AppKind;
  /** Wraps an Express, Koa, Fastify, http.Server or fetch export (tsgi/cgi passes the adapters). */
  adapt?: Adapt;
}

/** Exit codes: 0 a complete response, 1 a broken one (or the client left), 2 not under CGI. */
export const EXIT_OK = 0;
export const EXIT_BROKEN = 1;
export const EXIT_NOT_CGI = 2;

/**
 * PEP 3333's run_with_cgi: one request from the process environment and stdin, the response
 * on stdout (RFC 3875 §6). Resolves with the exit code (and exits, unless `exit: false`).
 *
 * @example
 * import { runWithCgi } from "tsgi/cgi";
 * runWithCgi((environ, startResponse) => {
 *   startResponse("200 OK", [["Content-Type", "text/plain"]]);
 *   return [new TextEncoder().encode("Hello, world!\n")];
 * });
 */
export function runWithCgi(app: Application, options: CgiOptions = {}): Promise<number> {
  return serveCgi(() => app, options);
}

/**
 * Like runWithCgi, but loads the app only after the environ is built and HTTP_* is gone from
 * `process.env`, so nothing in the app module (an HTTP client reading HTTP_PROXY at import
 * time) ever sees request headers as process settings. `target` is a module spec
 * (`path/app.mjs[:exportName]`) or a loader such as `() => import("./app.mjs")`; the app is
 * its default export, else its `app` export. A module that cannot load is a 500 and one log line.
 */
export function runCgiModule(
  target: string | (() => unknown),
  options: CgiModuleOptions = {},
): Promise<number> {
  const load =
    typeof target === "string"
      ? () => importAppSpec(target, undefined, options)
      : async () => resolveApp(await target(), options.exportName, "the app module", options);
  return serveCgi(load, options);
}

async function serveCgi(
  load: () => Application | Promise<Application>,
  options: CgiOptions,
): Promise<number> {
  const io = resolveIo(options);
  let code: number;
  try {
    code = await serveRequest(load, io, options);
  } catch (error) {
    // runApp never throws; this is a bug in the gateway itself, and still one log line.
    io.errors.write(`tsgi: internal error: ${error instanceof Error ? error.stack : error}\n`);
    code = EXIT_BROKEN;
  }
  if (options.exit ?? true) {
    await settleFileWork();
    process.exit(code);
  }
  return code;
}

interface Io {
  env: Record<string, string>;
  stdin: ByteSource | null;
  stdout: (onGone: (error: Error) => void) => Output;
  errors: ErrorStream;
}

async function serveRequest(
  load: () => Application | Promise<Application>,
  io: Io,
  options: CgiOptions,
): Promise<number> {
  if (!io.env.REQUEST_METHOD) {
    io.errors.write(
      "tsgi: not running under a web server (no REQUEST_METHOD in the environment); " +
        "to try the app from a shell, use `tsgi request APP URL`\n",
    );
    return EXIT_NOT_CGI;
  }
  const controller = new AbortController();
  const sink = new CgiSink(io.stdout((gone) => controller.abort(gone)));
  const request = prepare(io, controller.signal);
  // httpoxy: the environ holds the headers now; the process environment must not.
  if (options.scrubProcessEnv ?? options.env === undefined) scrubRequestHeaders();
  const errorApp = options.errorApp ?? defaultErrorApp;
  const app = request.app ?? (await loadApp(load, request.environ, errorApp));
  const outcome = await runApp(app, request.environ, sink, { errorApp });
  if (outcome.kind === "gone") {
    io.errors.write(`tsgi: ${describe(request.environ)}: ${message(outcome.error)}\n`);
    return EXIT_BROKEN;
  }
  try {
    await sink.flush();
  } catch (error) {
    io.errors.write(`tsgi: ${describe(request.environ)}: ${message(error)}\n`);
    return EXIT_BROKEN;
  }
  // The response is out; the web server still waits for the script to take the whole body.
  const length = Number(request.environ.CONTENT_LENGTH);
  if (length > 0 && isStdin(io.stdin)) await io.stdin.discardRest(length);
  return outcome.kind === "broken" || sink.broken ? EXIT_BROKEN : EXIT_OK;
}

/** The environ; a malformed CONTENT_LENGTH from the server gets a 400 instead of the app. */
function prepare(io: Io, signal: AbortSignal): { environ: Environ; app?: Application } {
  const settings = {
    errors: io.errors,
    signal,
    // RFC 3875 §4.2: without CONTENT_LENGTH there is no body, whatever stdin holds.
    bodyWithoutLength: "none" as const,
    multithread: false,
    multiprocess: true,
    runOnce: true,
  };
  try {
    return { environ: buildEnviron(io.env, { ...settings, source: io.stdin }) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const { CONTENT_LENGTH: _bad, ...rest } = io.env;
    const environ = buildEnviron(rest, { ...settings, source: null });
    io.errors.write(`tsgi: 400 Bad Request (${describe(environ)}): ${error.message}\n`);
    return { environ, app: badRequestApp };
  }
}

/** The app; one that cannot be loaded is answered by the error app (a 500). */
async function loadApp(
  load: () => Application | Promise<Application>,
  environ: Environ,
  errorApp: Application,
): Promise<Application> {
  try {
    return await load();
  } catch (error) {
    // A configuration mistake needs its message, not a stack; anything else needs the stack.
    const detail =
      error instanceof TsgiError ? error.message : error instanceof Error ? error.stack : error;
    environ["tsgi.errors"].write(`tsgi: cannot load the application: ${detail}\n`);
    return errorApp;
  }
}

function resolveIo(options: CgiOptions): Io {
  const { stdout, stderr } = options;
  return {
    env: options.env ?? readRawEnvironment(),
    stdin: options.stdin === undefined ? new Stdin() : options.stdin,
    stdout: stdout ? (onGone) => streamOutput(stdout, onGone) : fdResponse(),
    errors: stderr
      ? { write: (text) => void stderr.write(text), flush: () => {} }
      : fdErrors(2, () => process.stderr),
  };
}

/** fd 1 is the response; what the app prints goes to stderr from now on (cgi/output.ts). */
function fdResponse(): (onGone: (error: Error) => void) => Output {
  const realStdout = takeStdout();
  return (onGone) => fdOutput(1, onGone, realStdout);
}

function describe(environ: Environ): string {
  return `${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
