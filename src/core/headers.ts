import { ContractError } from "./errors.js";
import type { Headers } from "./types.js";

// RFC 9110 §5.6.2: token = 1*tchar.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// RFC 9110 §5.5: a field value is VCHAR, obs-text, SP and HTAB; any other control char (CR, LF
// and NUL above all) or a char above 0xFF is refused, as Node's own writeHead would refuse it.
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;
const STATUS = /^([1-9]\d\d) (.*)$/s;

// PEP 3333: "hop-by-hop" headers are the server's business, never the application's. The
// adapters drop these (plus proxy-connection) from what a framework writes, before the check.
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "trailers",
  "transfer-encoding",
  "upgrade",
]);

/**
 * Names and status lines that passed every check, so the next response that uses the same
 * string skips the regexes, toLowerCase and the hop-by-hop lookup: apps pass the same few
 * literals ("200 OK", "Content-Type") on every request, and one hashed Map lookup in place of
 * the checks saved ~0.2 µs CPU a hello-world request (bench/micro/fastcgi-path.mjs --pin:
 * 10.38 -> 10.16, with the Content-Length found in the same pass). A string is only
 * ever cached after it passed, so the checks stay exactly as strict; the caches stop growing
 * at KNOWN_MAX entries, so an app that makes up names cannot grow them without bound.
 */
const KNOWN_MAX = 512;
/** Valid header name -> whether it is Content-Length (any case). */
const KNOWN_NAMES = new Map<string, boolean>();
/** Valid status line -> its code. */
const KNOWN_STATUSES = new Map<string, number>();

/** Checks a status line and returns its numeric code. */
export function checkStatus(status: unknown): number {
  const known = typeof status === "string" ? KNOWN_STATUSES.get(status) : undefined;
  if (known !== undefined) return known;
  const code = checkNewStatus(status);
  if (KNOWN_STATUSES.size < KNOWN_MAX) KNOWN_STATUSES.set(status as string, code);
  return code;
}

function checkNewStatus(status: unknown): number {
  if (typeof status !== "string") {
    throw new ContractError(`status must be a string like "200 OK", got ${describe(status)}`);
  }
  const match = STATUS.exec(status);
  if (!match) {
    throw new ContractError(
      `status ${JSON.stringify(status)} is not "NNN Reason" (three digits, a space, a reason)`,
    );
  }
  if (BAD_VALUE_CHAR.test(match[2])) {
    throw new ContractError(
      `status ${JSON.stringify(status)} holds CR, LF, NUL, another control char or a char above 0xFF`,
    );
  }
  const code = Number(match[1]);
  // RFC 3875 §6.3.3 / RFC 9110 §15: a CGI response is final; 1xx cannot be one.
  if (code < 200 || code > 599) {
    throw new ContractError(`status ${JSON.stringify(status)}: code must be 200-599`);
  }
  return code;
}

/** Checks the headers an application passed to start_response. */
export function checkHeaders(headers: unknown): Headers {
  checkHeaderList(headers, null);
  return headers as Headers;
}

/**
 * {@link checkHeaders}, for start_response: also copies each pair into `copy` (the app may
 * change its array afterwards) and returns the declared Content-Length, found in the same pass
 * instead of a second scan of the headers at commit.
 */
export function checkHeaderList(headers: unknown, copy: Headers | null): number | undefined {
  if (!Array.isArray(headers)) {
    throw new ContractError(
      `headers must be an array of [name, value] pairs, got ${describe(headers)}`,
    );
  }
  let declared: number | undefined;
  for (let i = 0; i < headers.length; i++) {
    const pair = headers[i];
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new ContractError(`header #${i} must be a [name, value] pair, got ${describe(pair)}`);
    }
    const name: unknown = pair[0];
    const value: unknown = pair[1];
    const isLength = checkHeaderName(name, i);
    checkHeaderValue(name as string, value);
    if (isLength) {
      if (declared !== undefined) throw new ContractError("header Content-Length is given twice");
      if (!/^\d{1,15}$/.test(value)) {
        throw new ContractError(
          `header Content-Length: ${JSON.stringify(value)} is not a byte count`,
        );
      }
      declared = Number(value);
    }
    copy?.push([name as string, value]);
  }
  return declared;
}

/** Checks a header name; returns whether it is Content-Length. */
function checkHeaderName(name: unknown, index: number): boolean {
  const known = typeof name === "string" ? KNOWN_NAMES.get(name) : undefined;
  if (known !== undefined) return known;
  const isLength = checkNewHeaderName(name, index);
  if (KNOWN_NAMES.size < KNOWN_MAX) KNOWN_NAMES.set(name as string, isLength);
  return isLength;
}

function checkNewHeaderName(name: unknown, index: number): boolean {
  if (typeof name !== "string") {
    throw new ContractError(`header #${index} name must be a string, got ${describe(name)}`);
  }
  if (!TOKEN.test(name)) {
    throw new ContractError(`header name ${JSON.stringify(name)} is not an HTTP token`);
  }
  const lower = name.toLowerCase();
  if (HOP_BY_HOP.has(lower)) {
    throw new ContractError(
      `header ${name} is hop-by-hop: the server sets it, not the application`,
    );
  }
  // RFC 3875 §6.3.3: Status is how a CGI script passes the status line; it is not a header.
  if (lower === "status") {
    throw new ContractError("header Status is not allowed: pass the status to start_response");
  }
  return lower === "content-length";
}

function checkHeaderValue(name: string, value: unknown): asserts value is string {
  if (typeof value !== "string") {
    throw new ContractError(`header ${name} value must be a string, got ${describe(value)}`);
  }
  if (BAD_VALUE_CHAR.test(value)) {
    throw new ContractError(
      `header ${name} value ${JSON.stringify(value)} holds CR, LF, NUL, another control char or a char above 0xFF`,
    );
  }
}

/** A short description of a value for an error message. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string")
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.length})`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `${typeof value} ${String(value)}`;
}
