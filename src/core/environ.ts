import type { RequestAbort } from "./abort.js";
import type { EnvironShapes } from "./environ-shapes.js";
import { ProtocolError } from "./errors.js";
import { fileWrapper } from "./file-wrapper.js";
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
  /**
   * The request's source (a FastCGI connection) when it sends the same names again and again:
   * the CGI part is then built as a fast object (see environ-shapes.ts).
   */
  shapes?: EnvironShapes;
}

const VERSION = Object.freeze([1, 0] as const);

/**
 * CGI meta-variables as two parallel lists in the order they arrived, for a front-end that
 * decodes them itself (FastCGI PARAMS): `buildEnviron` copies them straight into the environ.
 * A repeated name keeps its last value, as in an object.
 *
 * Why not an object: the ~20 params of a request, stored under computed keys, turn a plain
 * object into a V8 dictionary (at the 20th key), and copying a dictionary into the environ
 * costs a hashed insert, a sort by insertion order (Object.keys) and a hashed lookup per key
 * (bench/micro/fastcgi-path.mjs, with perf).
 */
export class MetaVariableList {
  readonly names: string[] = [];
  readonly values: string[] = [];

  add(name: string, value: string): void {
    this.names.push(name);
    this.values.push(value);
  }
}

/**
 * Builds the environ from CGI meta-variables (byte strings), the one builder every front-end
 * shares: FastCGI PARAMS are CGI meta-variables too. Throws ProtocolError for a malformed
 * CONTENT_LENGTH, which a front-end answers with 400.
 */
export function buildEnviron(
  variables: Record<string, string> | MetaVariableList,
  options: EnvironOptions,
): Environ {
  const environ =
    variables instanceof MetaVariableList
      ? copy(variables.names, variables.values, options.shapes)
      : copy(Object.keys(variables), Object.values(variables), options.shapes);
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
  result["tsgi.file_wrapper"] = fileWrapper;
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
  // A middleware may put its own signal here (a timeout, say): it becomes a plain value.
  set(this: object, value: unknown): void {
    Object.defineProperty(this, "tsgi.signal", {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  },
  enumerable: true,
  configurable: true,
};

// One pass that also applies RFC 3875 §4.1.18: Content-Type and Content-Length are CONTENT_TYPE
// and CONTENT_LENGTH, never HTTP_*; an empty one (nginx's stock fastcgi_params on a GET) means
// absent. Keys are skipped while copying, never deleted after: delete turns the environ into a
// V8 dictionary at once. The variables kept go into one object at once when `shapes` has a
// factory for their names (a fast object), else one keyed store each (a dictionary from ~16).
function copy(
  names: readonly string[],
  values: readonly unknown[],
  shapes: EnvironShapes | undefined,
): Record<string, string> {
  const kept = KEPT;
  kept.count = 0;
  // The last HTTP_CONTENT_TYPE / HTTP_CONTENT_LENGTH, noted while copying: looking them up
  // after (lastIndexOf of a freshly built name) cost ~30 ns of ~690 for nginx's 20 params.
  let typeAlias: string | undefined;
  let lengthAlias: string | undefined;
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = values[i];
    if (typeof value !== "string") continue;
    // Cheap pre-test: the four names below are 12+ chars and start with "C" or "H".
    if (name.length >= 12 && name.charCodeAt(0) <= 0x48 /* "H" */) {
      if (name === "CONTENT_TYPE" || name === "CONTENT_LENGTH") {
        if (value === "") continue;
      } else if (name === "HTTP_CONTENT_TYPE") {
        typeAlias = value;
        continue;
      } else if (name === "HTTP_CONTENT_LENGTH") {
        lengthAlias = value;
        continue;
      }
    }
    kept.names[kept.count] = name;
    kept.values[kept.count++] = value;
  }
  const environ = shapes?.build(kept.names, kept.values, kept.count) ?? storeEach(kept);
  // A server that passed the header as HTTP_CONTENT_TYPE only: it still is the CONTENT_TYPE.
  if (environ.CONTENT_TYPE === undefined && typeAlias) environ.CONTENT_TYPE = typeAlias;
  if (environ.CONTENT_LENGTH === undefined && lengthAlias) environ.CONTENT_LENGTH = lengthAlias;
  return environ;
}

/**
 * The variables copy() keeps, in two arrays reused by every call: copy() runs to its end
 * before the next one starts, and the environ holds the strings, not these arrays.
 */
const KEPT = { names: [] as string[], values: [] as string[], count: 0 };

function storeEach(kept: typeof KEPT): Record<string, string> {
  const environ: Record<string, string> = {};
  for (let i = 0; i < kept.count; i++) setVariable(environ, kept.names[i], kept.values[i]);
  return environ;
}

/** Stores a meta-variable; one named __proto__ stays an own key, not the object's prototype. */
export function setVariable(target: Record<string, string>, name: string, value: string): void {
  if (name === "__proto__") {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[name] = value;
  }
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
