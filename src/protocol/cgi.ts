import { ProtocolError } from "../core/errors.js";
import type { Headers } from "../core/types.js";
import { unquoteToBytes } from "../core/url.js";

/** What a server knows of an HTTP request, to turn into CGI meta-variables. */
export interface HttpRequestInfo {
  method: string;
  /** The raw request-target: "/path%20x?q=1" (absolute-form is accepted too). */
  target: string;
  /** Header pairs as received (byte strings); repeated names allowed. */
  headers: Iterable<[string, string]>;
  serverName?: string;
  serverPort?: string | number;
  serverProtocol?: string;
  remoteAddr?: string;
  remotePort?: string | number;
  scheme?: "http" | "https";
  scriptName?: string;
}

/**
 * RFC 3875 §4.1: the meta-variables a CGI server would set for this request. PATH_INFO is the
 * percent-decoded path as a byte string; QUERY_STRING stays as sent.
 */
export function metaVariablesFromRequest(request: HttpRequestInfo): Record<string, string> {
  const target = originForm(request.target);
  const query = target.indexOf("?");
  const path = unquoteToBytes(query >= 0 ? target.slice(0, query) : target);
  const scriptName = request.scriptName ?? "";
  const vars: Record<string, string> = {
    GATEWAY_INTERFACE: "CGI/1.1",
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: pathAfter(path, scriptName),
    QUERY_STRING: query >= 0 ? target.slice(query + 1) : "",
    REQUEST_URI: target,
    SERVER_NAME: request.serverName ?? "localhost",
    SERVER_PORT: String(request.serverPort ?? (request.scheme === "https" ? 443 : 80)),
    SERVER_PROTOCOL: request.serverProtocol ?? "HTTP/1.1",
    SERVER_SOFTWARE: "tsgi",
    REMOTE_ADDR: request.remoteAddr ?? "127.0.0.1",
  };
  if (request.remotePort !== undefined) vars.REMOTE_PORT = String(request.remotePort);
  if (request.scheme === "https") vars.HTTPS = "on";
  addHeaderVariables(vars, request.headers);
  return vars;
}

// RFC 3875 §4.1.5: PATH_INFO follows SCRIPT_NAME, which matches whole segments ("/app" is not
// the script of "/application").
function pathAfter(path: string, scriptName: string): string {
  const rest = path.startsWith(scriptName) ? path.slice(scriptName.length) : null;
  return rest !== null && (rest === "" || rest.startsWith("/")) ? rest : path;
}

/**
 * RFC 3875 §4.1.18: each header becomes HTTP_NAME (upper case, "-" -> "_"), except
 * Content-Type and Content-Length, which are CONTENT_TYPE and CONTENT_LENGTH. Two headers that
 * map to one name are joined, not lost (Cookie with "; ", others with ", ").
 */
export function addHeaderVariables(
  vars: Record<string, string>,
  headers: Iterable<[string, string]>,
): void {
  for (const [name, value] of headers) {
    // RFC 3875 §4.1.18 maps "-" to "_", so `X_Forwarded_For` would become the same variable as
    // `X-Forwarded-For` and a client could add to a header a proxy set. nginx
    // (underscores_in_headers off) and Apache 2.4 drop such names; so does tsgi.
    if (name.includes("_")) continue;
    const key = metaVariableName(name);
    const previous = vars[key];
    if (previous === undefined || !isHeaderKey(key)) vars[key] = value;
    else vars[key] = `${previous}${key === "HTTP_COOKIE" ? "; " : ", "}${value}`;
  }
}

function metaVariableName(header: string): string {
  const upper = header.toUpperCase().replace(/-/g, "_");
  if (upper === "CONTENT_TYPE" || upper === "CONTENT_LENGTH") return upper;
  return `HTTP_${upper}`;
}

function isHeaderKey(key: string): boolean {
  return key.startsWith("HTTP_") || key === "CONTENT_TYPE" || key === "CONTENT_LENGTH";
}

// RFC 9112 §3.2.2: a server must accept absolute-form; the app sees the path and query only.
function originForm(target: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?]*/.exec(target);
  const rest = match ? target.slice(match[0].length) : target;
  // RFC 9112 §3.2.1: an empty path is sent as "/", also before a query.
  return rest.startsWith("/") || rest.startsWith("*") ? rest : `/${rest}`;
}

/** RFC 3875 §6.2: the CGI response head, "Status: NNN Reason", the headers, a blank line. */
export function formatResponseHead(status: string, headers: Headers): Buffer {
  return Buffer.from(responseHeadText(status, headers), "latin1");
}

/**
 * {@link formatResponseHead} as a latin-1 byte string (one char per byte: start_response
 * already refused any char above U+00FF), for a front-end that writes it straight into a
 * bigger buffer instead of encoding it on its own first.
 */
export function responseHeadText(status: string, headers: Headers): string {
  let head = `Status: ${status}\r\n`;
  for (let i = 0; i < headers.length; i++) head += `${headers[i][0]}: ${headers[i][1]}\r\n`;
  return `${head}\r\n`;
}

export interface ParsedResponseHead {
  status: string;
  headers: Headers;
  /** Where the body starts in the parsed bytes. */
  bodyOffset: number;
}

/**
 * Parses a CGI response head (RFC 3875 §6.2), as a web server does with a script's output.
 * Returns null while the blank line has not arrived. Without Status, a Location header means
 * 302 (§6.2.3) and anything else 200.
 */
export function parseResponseHead(bytes: Uint8Array): ParsedResponseHead | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  const match = /\r?\n\r?\n/.exec(text);
  if (!match) return null;
  const headers: Headers = [];
  let status = "";
  for (const line of text.slice(0, match.index).split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new ProtocolError(`CGI response header line ${JSON.stringify(line)} has no name`);
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = value;
    else headers.push([name, value]);
  }
  if (!status)
    status = headers.some(([n]) => n.toLowerCase() === "location") ? "302 Found" : "200 OK";
  return { status, headers, bodyOffset: match.index + match[0].length };
}
