/**
 * Cookies in and out: the request's `Cookie` header parsed with `cookie` 1.x, and `Set-Cookie`
 * values built with safe defaults (RFC 6265 §4.1; the SameSite attribute of RFC 6265bis §4.1.2.7).
 */
import { parse, serialize } from "cookie";
import { ContractError } from "../core/errors.js";
import { decodeUtf8 } from "../core/url.js";

export interface CookieOptions {
  /** Seconds the browser keeps the cookie (`Max-Age`); absent: a browser-session cookie. */
  maxAge?: number;
  expires?: Date;
  /** Default "/". */
  path?: string;
  domain?: string;
  /** Default true: scripts cannot read the cookie. */
  httpOnly?: boolean;
  /** Default false; a `__Secure-` or `__Host-` name forces it on. */
  secure?: boolean;
  /** Default "lax". `none` needs `secure`. */
  sameSite?: "lax" | "strict" | "none" | false;
  partitioned?: boolean;
  priority?: "low" | "medium" | "high";
  /** How the value is put on the wire; default `encodeURIComponent`. */
  encode?: (value: string) => string;
}

/**
 * The request's cookies, name -> value, from the `Cookie` header (a byte string, read as
 * UTF-8). The first of two cookies with one name wins, as `cookie` 1.x and browsers order them
 * (RFC 6265 §5.4: longer paths first).
 */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  if (!header) return Object.create(null);
  return parse(decodeUtf8(header));
}

/**
 * A `Set-Cookie` value with safe defaults: `Path=/`, `HttpOnly`, `SameSite=Lax`. The prefixes
 * of RFC 6265bis §4.1.3 are enforced: `__Secure-` needs Secure, `__Host-` also Path=/ and no
 * Domain.
 */
export function setCookieValue(name: string, value: string, options: CookieOptions = {}): string {
  const secure = options.secure ?? /^__(secure|host)-/i.test(name);
  const sameSite = options.sameSite ?? "lax";
  const path = options.path ?? "/";
  checkPrefix(name, { secure, path, domain: options.domain });
  if (sameSite === "none" && !secure) {
    throw new ContractError(`cookie ${name}: SameSite=None needs Secure (RFC 6265bis §5.6.7)`);
  }
  return serialize(name, value, {
    encode: options.encode,
    maxAge: options.maxAge === undefined ? undefined : Math.max(0, Math.floor(options.maxAge)),
    expires: options.expires,
    path,
    domain: options.domain,
    httpOnly: options.httpOnly ?? true,
    secure,
    sameSite: sameSite === false ? undefined : sameSite,
    partitioned: options.partitioned,
    priority: options.priority,
  });
}

/** A `Set-Cookie` value that removes the cookie: empty, `Max-Age=0` and an expiry in 1970. */
export function deleteCookieValue(name: string, options: CookieOptions = {}): string {
  return setCookieValue(name, "", { ...options, maxAge: 0, expires: new Date(0) });
}

function checkPrefix(
  name: string,
  attrs: { secure: boolean; path: string; domain: string | undefined },
): void {
  const lower = name.toLowerCase();
  if ((lower.startsWith("__secure-") || lower.startsWith("__host-")) && !attrs.secure) {
    throw new ContractError(`cookie ${name}: a __Secure- or __Host- name needs Secure`);
  }
  if (lower.startsWith("__host-") && (attrs.path !== "/" || attrs.domain !== undefined)) {
    throw new ContractError(`cookie ${name}: a __Host- name needs Path=/ and no Domain`);
  }
}
