/**
 * Access-log lines, pure: no I/O, no clock. Used by `accessLog` and by any front-end that logs
 * (the FastCGI workers' `--access-log`). Formats: `common` and `combined` as Apache defines them
 * and as nginx writes its built-in `combined` (`-` for an empty value, `"`, `\` and bytes below
 * 0x20 or from 0x7F up escaped as `\xHH`: CVE-2003-0083, terminal escape injection through
 * logs), `json` (one ASCII-only object per line), a template of nginx-style `$variables`, or
 * one of Apache's `%` directives (log-apache.ts).
 */

import { MONTHS } from "./http/http-date.js";
import { compileApacheFormat, isApacheFormat } from "./log-apache.js";

/** What one log line is made of. Strings are byte strings, as in the environ. */
export interface AccessLogFields {
  /** The client address (REMOTE_ADDR); undefined logs as `-`. */
  remoteAddr: string | undefined;
  /**
   * The user (REMOTE_USER, or the user of a Basic Authorization header); undefined or "" when
   * there is none, which logs as `-`.
   */
  remoteUser: string | undefined;
  /** When the request started. */
  time: Date;
  /** REQUEST_METHOD. */
  method: string;
  /** The raw request target as the client sent it (REQUEST_URI), or one rebuilt from the environ. */
  uri: string;
  /** SERVER_PROTOCOL, "HTTP/1.1". */
  protocol: string;
  /** The response status code, 0 when no status went out. */
  status: number;
  /** Body bytes that went out (headers excluded). */
  bytesSent: number;
  /** From the start of the request to the end of the response, in milliseconds. */
  durationMs: number;
  /**
   * Request headers by lower-case name ("user-agent"). A missing header is absent and logs as
   * `-`; a header sent empty logs as nothing (`""`), as nginx does.
   */
  headers: Readonly<Record<string, string | undefined>>;
}

/**
 * A named format, a template, or a function of the fields. A template holding `$variables`
 * (`$remote_addr`, `$request_time`, `$http_<name>`, ...) is read as nginx's; otherwise one with
 * `%` directives (`%h %t "%r" %>s %b %D %{Referer}i`) as Apache's.
 */
export type AccessLogFormat =
  | "common"
  | "combined"
  | "json"
  | (string & {})
  | ((fields: AccessLogFields) => string);

/**
 * Apache's `common` (nginx has no such format): `%b` writes `-` for a response without body
 * bytes, as Apache does.
 */
export const COMMON = '%h %l %u %t "%r" %>s %b';
/**
 * nginx's built-in `combined`, Apache's `combined` in nginx's words (`$body_bytes_sent` writes
 * `0` where Apache's `%b` writes `-`): the issue pins it to nginx's line.
 */
export const COMBINED =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

type Getter = (fields: AccessLogFields) => string;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** The local time with its offset, both nginx and Apache: `05/Dec/2026:04:36:18 +0000`. */
export function timeLocal(time: Date): string {
  const offset = -time.getTimezoneOffset();
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  return (
    `${pad(time.getDate())}/${MONTHS[time.getMonth()]}/${time.getFullYear()}:` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** nginx `$time_iso8601`: local time, `2026-12-05T04:36:18+00:00`. */
function timeIso8601(time: Date): string {
  const offset = -time.getTimezoneOffset();
  const abs = Math.abs(offset);
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}T` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}` +
    `${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/**
 * nginx `ngx_http_log_escape`: `"`, `\`, bytes below 0x20 and from 0x7F up become `\xHH`
 * (upper-case hex). A value that is not there (undefined) is `-`, as nginx logs a variable
 * that is "not found"; an empty one stays empty. A char above 0xFF (not a byte string) is
 * escaped per UTF-8 byte, so nothing but printable ASCII ever reaches the log.
 */
export function escapeLogValue(value: string | undefined): string {
  if (value === undefined) return "-";
  if (!/[^\x20-\x21\x23-\x5b\x5d-\x7e]/.test(value)) return value;
  let out = "";
  for (const char of value) {
    const code = char.codePointAt(0) as number;
    if (code >= 0x20 && code < 0x7f && code !== 0x22 && code !== 0x5c) out += char;
    else if (code <= 0xff) out += hex(code);
    else for (const byte of Buffer.from(char, "utf8")) out += hex(byte);
  }
  return out;
}

const hex = (byte: number) => `\\x${byte.toString(16).toUpperCase().padStart(2, "0")}`;

/** `METHOD URI PROTOCOL`: nginx's `$request`, the request line. */
const requestLine = (f: AccessLogFields) => `${f.method} ${f.uri} ${f.protocol}`;

// Values nginx computes itself are not escaped; request data always is.
const VARIABLES: Record<string, Getter> = {
  remote_addr: (f) => escapeLogValue(f.remoteAddr),
  // nginx treats an empty user (`Basic base64(":pw")`) as none.
  remote_user: (f) => escapeLogValue(f.remoteUser || undefined),
  time_local: (f) => timeLocal(f.time),
  time_iso8601: (f) => timeIso8601(f.time),
  msec: (f) => (f.time.getTime() / 1000).toFixed(3),
  request: (f) => escapeLogValue(requestLine(f)),
  request_method: (f) => escapeLogValue(f.method),
  request_uri: (f) => escapeLogValue(f.uri),
  server_protocol: (f) => escapeLogValue(f.protocol),
  status: (f) => (f.status > 0 ? String(f.status).padStart(3, "0") : "000"),
  body_bytes_sent: (f) => String(f.bytesSent),
  // nginx: seconds with millisecond resolution; the other in whole milliseconds.
  request_time: (f) => (Math.max(0, f.durationMs) / 1000).toFixed(3),
  response_time_ms: (f) => String(Math.max(0, Math.round(f.durationMs))),
};

/** One `$name` or `${name}` of a template as a getter; unknown names are an error. */
function variable(name: string, format: string): Getter {
  const known = VARIABLES[name];
  if (known) return known;
  if (name.startsWith("http_") && name.length > 5) {
    // nginx $http_user_agent: the header with `_` read as `-`, lower-case.
    const header = name.slice(5).toLowerCase().replace(/_/g, "-");
    return (f) => escapeLogValue(f.headers[header]);
  }
  throw new TypeError(
    `access log format ${JSON.stringify(format)}: unknown variable $${name} (known: ` +
      `${Object.keys(VARIABLES)
        .map((v) => `$${v}`)
        .join(", ")}, $http_<header>)`,
  );
}

/** Parses a `$variable` template once into a function of the fields. */
const VARIABLE = /\$(?:\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/;

function compileTemplate(format: string): Getter {
  const parts: Array<string | Getter> = [];
  const pattern = new RegExp(VARIABLE.source, "g");
  let last = 0;
  for (const match of format.matchAll(pattern)) {
    parts.push(format.slice(last, match.index));
    parts.push(variable(match[1] ?? match[2], format));
    last = (match.index as number) + match[0].length;
  }
  parts.push(format.slice(last));
  return (f) => parts.map((p) => (typeof p === "string" ? p : p(f))).join("");
}

/** Makes a string ASCII-only JSON: UTF-8 text decoded when valid, every non-ASCII char `\uXXXX`. */
function jsonText(bytes: string): string {
  const buffer = Buffer.from(bytes, "latin1");
  const text = isUtf8(buffer) ? buffer.toString("utf8") : bytes;
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function isUtf8(buffer: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buffer);
    return true;
  } catch {
    return false;
  }
}

/** One JSON object per line, every key always present, ASCII only (no raw control bytes). */
function formatJson(f: AccessLogFields): string {
  const entries: Array<[string, string]> = [
    ["time", JSON.stringify(f.time.toISOString())],
    ["remote_addr", jsonText(f.remoteAddr ?? "")],
    ["remote_user", jsonText(f.remoteUser ?? "")],
    ["method", jsonText(f.method)],
    ["uri", jsonText(f.uri)],
    ["protocol", jsonText(f.protocol)],
    ["status", String(f.status)],
    ["bytes_sent", String(f.bytesSent)],
    ["duration_ms", String(Math.max(0, Math.round(f.durationMs * 1000) / 1000))],
    ["referer", jsonText(f.headers.referer ?? "")],
    ["user_agent", jsonText(f.headers["user-agent"] ?? "")],
  ];
  return `{${entries.map(([k, v]) => `"${k}":${v}`).join(",")}}`;
}

/**
 * Compiles a format once (a template's unknown `$variable` throws here, not per request) into
 * a function that gives one line without its newline.
 */
export function compileAccessLogFormat(format: AccessLogFormat = "combined"): Getter {
  if (typeof format === "function") return format;
  if (format === "json") return formatJson;
  if (format === "common") return compileApacheFormat(COMMON, escapeLogValue, timeLocal);
  if (format === "combined") return compileTemplate(COMBINED);
  if (typeof format !== "string" || format === "") {
    throw new TypeError(`access log format must be a name, a template or a function`);
  }
  if (!VARIABLE.test(format) && isApacheFormat(format)) {
    return compileApacheFormat(format, escapeLogValue, timeLocal);
  }
  return compileTemplate(format);
}

/**
 * One access-log line (without the newline) for `fields`.
 *
 * @example
 * formatAccessLog("combined", fields);
 * // 127.0.0.1 - - [05/Dec/2026:04:36:18 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"
 */
export function formatAccessLog(format: AccessLogFormat, fields: AccessLogFields): string {
  return compileAccessLogFormat(format)(fields);
}
