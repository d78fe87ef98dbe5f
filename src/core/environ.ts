import type { RequestAbort } from "./abort.js";
import { ProtocolError } from "./errors.js";
import { type ByteSource, createInput } from "./input.js";
import type { Environ, ErrorStream } from "./types.js";
import { unquoteToBytes } from "./url.js";

export interface EnvironOptions {
  /** The request body; null for none. */
  source: ByteSource | null;
  /**
   * What a body without CONTENT_LENGTH means: `"none"` under CGI (RFC 3875 §4.2: no
   * CONTENT_LENGTH, no body), `"until-end"` where the transport delimits it (FastCGI STDIN,
   * HTTP chunked uploads).
   */
  bodyWithoutLength: "none" | "until-end";
  errors: ErrorStream;
  /** `tsgi.signal`: a signal, or a RequestAbort that makes one only when the app asks. */
  signal: AbortSignal | RequestAbort;
  multithread: boolean;
  multiprocess: boolean;
  runOnce: boolean;
}

const VERSION = Object.freeze([1, 0] as const);

/**
 * Builds the environ from CGI meta-variables (byte strings), the one builder every front-end
 * shares: FastCGI PARAMS are CGI meta-variables too. Throws ProtocolError for a malformed
 * CONTENT_LENGTH, which a front-end answers with 400.
 */
export function buildEnviron(variables: Record<string, string>, options: EnvironOptions): Environ {
  const environ = copy(variables);
  fillDefaults(environ);
  const length = contentLength(environ.CONTENT_LENGTH);
  const bodyLength = length ?? (options.bodyWithoutLength === "none" ? 0 : undefined);
  const result = environ as unknown as Environ;
  result["tsgi.version"] = VERSION;
  result["tsgi.url_scheme"] = urlScheme(environ);
  result["tsgi.input"] = createInput(options.source, bodyLength);
  result["tsgi.errors"] = options.errors;
  result["tsgi.multithread"] = options.multithread;
  result["tsgi.multiprocess"] = options.multiprocess;
  result["tsgi.run_once"] = options.runOnce;
  const signal = options.signal;
  if (signal instanceof AbortSignal) result["tsgi.signal"] = signal;
  else {
    (result as { [ABORT]?: RequestAbort })[ABORT] = signal;
    Object.defineProperty(result, "tsgi.signal", SIGNAL_GETTER);
  }
  return result;
}

// A lazy tsgi.signal is one getter shared by every environ, which finds its RequestAbort under a
// symbol key (Object.keys and for-in skip it). A getter closure per request gave each environ
// its own hidden class: 15.2 -> 13.8 µs CPU a hello-world request (bench/micro/fastcgi-path.mjs).
const ABORT = Symbol("tsgi.abort");
const SIGNAL_GETTER: PropertyDescriptor = {
  get(this: { [ABORT]: RequestAbort }): AbortSignal {
    return this[ABORT].signal;
  },
  enumerable: true,
};

// One pass that also applies RFC 3875 §4.1.18: Content-Type and Content-Length are CONTENT_TYPE
// and CONTENT_LENGTH, never HTTP_*; an empty one (nginx's stock fastcgi_params on a GET) means
// absent. Skipping keys while copying, rather than deleting them after, keeps the environ a fast
// object (delete turns it into a dictionary: ~2.5 µs a request in bench/run.mjs).
function copy(variables: Record<string, string>): Record<string, string> {
  const environ: Record<string, string> = {};
  for (const name of Object.keys(variables)) {
    const value = variables[name];
    if (typeof value !== "string" || dropped(name, value)) continue;
    // A meta-variable named __proto__ must stay a key, not become the prototype.
    if (name === "__proto__") {
      Object.defineProperty(environ, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      environ[name] = value;
    }
  }
  adoptAlias(environ, "CONTENT_TYPE", variables);
  adoptAlias(environ, "CONTENT_LENGTH", variables);
  return environ;
}

// A server that passed the header as HTTP_CONTENT_TYPE only: it still is the CONTENT_TYPE.
function adoptAlias(
  environ: Record<string, string>,
  name: string,
  variables: Record<string, string>,
): void {
  if (environ[name] !== undefined) return;
  const alias = variables[`HTTP_${name}`];
  if (typeof alias === "string" && alias !== "") environ[name] = alias;
}

function dropped(name: string, value: string): boolean {
  if (name.length < 12 || name.charCodeAt(0) > 0x48 /* "H" */) return false;
  if (name === "CONTENT_TYPE" || name === "CONTENT_LENGTH") return value === "";
  return name === "HTTP_CONTENT_TYPE" || name === "HTTP_CONTENT_LENGTH";
}

function fillDefaults(environ: Record<string, string>): void {
  environ.REQUEST_METHOD ??= "GET";
  environ.SCRIPT_NAME ??= "";
  const uri = environ.REQUEST_URI;
  const query = uri?.indexOf("?") ?? -1;
  if (environ.PATH_INFO === undefined) {
    environ.PATH_INFO = uri === undefined ? "" : pathInfoFromUri(uri, query, environ.SCRIPT_NAME);
  }
  if (environ.QUERY_STRING === undefined) {
    environ.QUERY_STRING = uri !== undefined && query >= 0 ? uri.slice(query + 1) : "";
  }
  environ.SERVER_NAME ??= "localhost";
  environ.SERVER_PORT ??= urlScheme(environ) === "https" ? "443" : "80";
  environ.SERVER_PROTOCOL ??= "HTTP/1.0";
}

// PATH_INFO is the decoded path after SCRIPT_NAME; REQUEST_URI is the raw request target.
function pathInfoFromUri(uri: string, query: number, scriptName: string): string {
  const path = unquoteToBytes(query >= 0 ? uri.slice(0, query) : uri);
  // SCRIPT_NAME matches whole segments: "/app" is not the script of "/application".
  const rest = path.startsWith(scriptName) ? path.slice(scriptName.length) : null;
  return rest !== null && (rest === "" || rest.startsWith("/")) ? rest : "";
}

function contentLength(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw new ProtocolError(`CONTENT_LENGTH ${JSON.stringify(value)} is not a byte count`);
  }
  return Number(value);
}

/** "https" when the server says the request came over TLS (HTTPS, REQUEST_SCHEME, SERVER_PORT_SECURE). */
export function urlScheme(environ: Record<string, unknown>): "http" | "https" {
  const https = String(environ.HTTPS ?? "").toLowerCase();
  if (https === "on" || https === "1" || https === "yes") return "https";
  if (String(environ.REQUEST_SCHEME ?? "").toLowerCase() === "https") return "https";
  if (environ.SERVER_PORT_SECURE === "1") return "https";
  return "http";
}
