import type { Environ } from "../core/types.js";
import { quoteBytes, unquoteToBytes } from "../core/url.js";

/**
 * What a Node server or a fetch handler would see of a request that tsgi received as CGI
 * meta-variables. Shared by fromNode and fromFetch, so `%2F`, `..` and byte 0xFF reach an Express
 * app and a Hono app alike the way they arrive natively (behind nginx `proxy_pass`).
 */
export interface RequestLine {
  /** The raw target below the mount, as `req.url` natively: path (at least "/") and query. */
  target: string;
  /** The raw mount prefix, "" at the root: SCRIPT_NAME as the client spelled it. */
  mount: string;
}

/**
 * RFC 3875 §4.1.13 gives SCRIPT_NAME and PATH_INFO decoded (and the web server may have removed
 * `..` and doubled slashes from them); REQUEST_URI, where the server sends it, is the target as
 * the client wrote it. The raw URI is used when a prefix of it decodes to SCRIPT_NAME and the rest
 * decodes to PATH_INFO up to that normalisation, so `/files/../x` stays as sent. Otherwise (a
 * rewrite, no REQUEST_URI) the target is rebuilt from PATH_INFO, every unsafe byte
 * percent-encoded, and QUERY_STRING.
 */
export function requestLine(environ: Environ): RequestLine {
  const scriptName = environ.SCRIPT_NAME || "";
  const pathInfo = environ.PATH_INFO || "";
  const uri = environ.REQUEST_URI;
  if (typeof uri === "string" && uri.startsWith("/")) {
    const question = uri.indexOf("?");
    const path = question < 0 ? uri : uri.slice(0, question);
    const query = question < 0 ? "" : uri.slice(question);
    // The common case, a path with no escapes that is SCRIPT_NAME + PATH_INFO as it stands:
    // the checks below would accept it, at the cost of a decode and two normalisations.
    if (
      path.length === scriptName.length + pathInfo.length &&
      (pathInfo === "" || pathInfo.charCodeAt(0) === 0x2f) &&
      !path.includes("%") &&
      path.startsWith(scriptName) &&
      path.endsWith(pathInfo)
    ) {
      return { target: (pathInfo || "/") + query, mount: scriptName };
    }
    const end = rawPrefixLength(path, scriptName);
    if (end >= 0) {
      const rest = path.slice(end);
      const decoded = normalize(unquoteToBytes(rest));
      // Apache's `AllowEncodedSlashes NoDecode` leaves %2F encoded in PATH_INFO.
      if (decoded === normalize(pathInfo) || decoded === normalize(unquoteToBytes(pathInfo))) {
        return { target: (rest || "/") + query, mount: path.slice(0, end) };
      }
    }
  }
  const query = environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : "";
  return { target: quoteBytes(pathInfo || "/") + query, mount: quoteBytes(scriptName) };
}

/**
 * The length of the prefix of the raw `path` that decodes to `decoded` and ends at a segment
 * boundary, or -1. Each byte of `decoded` is matched by itself or by a %XX escape of it.
 */
function rawPrefixLength(path: string, decoded: string): number {
  let at = 0;
  for (let i = 0; i < decoded.length; i++) {
    const byte = decoded.charCodeAt(i);
    if (path.charCodeAt(at) === byte && path[at] !== "%") {
      at += 1;
    } else if (path[at] === "%" && Number.parseInt(path.slice(at + 1, at + 3), 16) === byte) {
      if (!/^[0-9A-Fa-f]{2}$/.test(path.slice(at + 1, at + 3))) return -1;
      at += 3;
    } else {
      return -1;
    }
  }
  return at === path.length || path[at] === "/" ? at : -1;
}

/** RFC 3986 §5.2.4 dot-segment removal plus merged slashes: what web servers do to PATH_INFO. */
function normalize(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  const trailing = out.length > 0 && /\/\.{0,2}$/.test(path) ? "/" : "";
  return `/${out.join("/")}${trailing}`;
}

/**
 * The request headers a native server would have received, lower-case, from RFC 3875 §4.1.18
 * meta-variables, flat as Node's `rawHeaders` (name, value, name, value...). nginx and Apache
 * drop header names holding `_`, so `HTTP_X_FOO_BAR` can only have been `x-foo-bar`.
 * CONTENT_TYPE and CONTENT_LENGTH are headers again (their HTTP_ copies, which some servers also
 * send, are skipped), and an empty HTTP_PROXY is the httpoxy guard of `nginx/tsgi_params`, not a
 * header the client sent.
 */
export function requestHeaders(environ: Environ): string[] {
  const raw: string[] = [];
  for (const key in environ) {
    if (!key.startsWith("HTTP_")) continue;
    const value = environ[key];
    if (typeof value !== "string") continue;
    if (key === "HTTP_CONTENT_TYPE" || key === "HTTP_CONTENT_LENGTH") continue;
    if (key === "HTTP_PROXY" && value === "") continue;
    raw.push(headerName(key), value);
  }
  if (environ.CONTENT_TYPE) raw.push("content-type", environ.CONTENT_TYPE);
  if (environ.CONTENT_LENGTH) raw.push("content-length", environ.CONTENT_LENGTH);
  return raw;
}

// The same few header names come with every request: remembered, not rebuilt each time. Bounded
// (a client choosing names cannot grow it), it starts over when full.
const NAMES_MAX = 512;
const names = new Map<string, string>();

/** "HTTP_X_FOO_BAR" -> "x-foo-bar". */
function headerName(key: string): string {
  let name = names.get(key);
  if (name === undefined) {
    name = key.slice(5).toLowerCase().replace(/_/g, "-");
    if (names.size >= NAMES_MAX) names.clear();
    names.set(key, name);
  }
  return name;
}
