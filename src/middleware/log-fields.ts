import type { Environ } from "../core/types.js";
import { quoteBytes } from "../core/url.js";
import type { AccessLogFields } from "./log-format.js";

/** What a front-end or middleware knows of a response once it ended. */
export interface AccessLogResult {
  /** The status line or code that went out ("200 OK", 200); absent when none did. */
  status?: string | number;
  /** Body bytes that went out. */
  bytesSent: number;
  /** When the request started, in `Date.now()` / `performance.now()` terms with `end`. */
  start: number;
  end: number;
  /** The wall-clock time of the start, for `$time_local`; default `new Date(start)`. */
  time?: Date;
}

/**
 * The request line's target: REQUEST_URI as the client sent it when the web server passes it
 * (nginx `$request_uri`, Apache, lighttpd), else one rebuilt from SCRIPT_NAME, PATH_INFO
 * (percent-encoded again) and QUERY_STRING.
 */
export function logUri(environ: Environ): string {
  const uri = environ.REQUEST_URI;
  if (typeof uri === "string" && uri !== "") return uri;
  const path = quoteBytes(`${environ.SCRIPT_NAME ?? ""}${environ.PATH_INFO ?? ""}`) || "/";
  return environ.QUERY_STRING ? `${path}?${environ.QUERY_STRING}` : path;
}

/**
 * nginx `$remote_user`: the user name of a Basic Authorization header, whether or not it was
 * checked (ngx_http_auth_basic_user): base64-decoded, up to the first colon; undefined when
 * there is no such header or it is malformed.
 */
function basicUser(authorization: string | undefined): string | undefined {
  const match = /^basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(authorization ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("latin1");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(0, colon);
}

/** Request headers by lower-case name, from the HTTP_* meta-variables (RFC 3875 §4.1.18). */
function headersOf(environ: Environ): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (const key in environ) {
    const value = environ[key];
    if (key.startsWith("HTTP_") && typeof value === "string") {
      headers[key.slice(5).toLowerCase().replace(/_/g, "-")] = value;
    }
  }
  if (environ.CONTENT_TYPE) headers["content-type"] = environ.CONTENT_TYPE;
  if (environ.CONTENT_LENGTH) headers["content-length"] = environ.CONTENT_LENGTH;
  return headers;
}

/** The fields of one log line from the environ and how the response ended. */
export function accessLogFields(environ: Environ, result: AccessLogResult): AccessLogFields {
  const remoteUser =
    typeof environ.REMOTE_USER === "string" && environ.REMOTE_USER !== ""
      ? environ.REMOTE_USER
      : basicUser(environ.HTTP_AUTHORIZATION);
  const status =
    result.status === undefined ? 0 : Number.parseInt(String(result.status).slice(0, 3), 10) || 0;
  return {
    remoteAddr: environ.REMOTE_ADDR || undefined,
    remoteUser,
    time: result.time ?? new Date(result.start),
    method: environ.REQUEST_METHOD,
    uri: logUri(environ),
    protocol: environ.SERVER_PROTOCOL,
    status,
    bytesSent: result.bytesSent,
    durationMs: result.end - result.start,
    headers: headersOf(environ),
  };
}
