/**
 * `proxyFix(app, options)`: applies the X-Forwarded-* headers a reverse proxy adds, with
 * Werkzeug ProxyFix's hop counts, but only when REMOTE_ADDR is a trusted proxy (addresses and
 * CIDR ranges, IPv4 and IPv6; IPv4-mapped IPv6 addresses match their IPv4 ranges).
 *
 * Each count is how many proxies in front of the app set that header: the value used is the
 * count-th from the right (the one the outermost trusted proxy wrote); a header with fewer
 * values than the count, or a value that does not validate (an address, `http`/`https`, a
 * host[:port], a port, a path) is ignored. The originals are kept in
 * `environ["tsgi.proxy_fix.orig"]`.
 *
 * Header names with `_` (`X_Forwarded_For`) are never a concern behind nginx or Apache, which
 * drop them; tsgi cannot tell them apart once they are meta-variables (RFC 3875 §4.1.18 maps
 * both to HTTP_X_FORWARDED_FOR), so do not trust a peer that forwards such names.
 *
 * @example
 * import { proxyFix } from "tsgi";
 * // behind one nginx on 10.0.0.2 that sets X-Forwarded-For, -Proto and -Host:
 * const app2 = proxyFix(app, { trusted: ["10.0.0.2"], for: 1, proto: 1, host: 1 });
 */
import type { Application, Environ } from "../core/types.js";
import { unquoteToBytes } from "../core/url.js";
import { addressMatcher, isIp } from "./cidr.js";

export interface ProxyFixOptions {
  /** Addresses and CIDR ranges of the proxies that may set the headers; default loopback. */
  trusted?: readonly string[];
  /** X-Forwarded-For hops -> REMOTE_ADDR; default 1. */
  for?: number;
  /** X-Forwarded-Proto hops -> tsgi.url_scheme; default 1. */
  proto?: number;
  /** X-Forwarded-Host hops -> HTTP_HOST, SERVER_NAME, SERVER_PORT; default 0. */
  host?: number;
  /** X-Forwarded-Port hops -> SERVER_PORT and HTTP_HOST's port; default 0. */
  port?: number;
  /** X-Forwarded-Prefix hops -> prepended to SCRIPT_NAME; default 0. */
  prefix?: number;
}

/** The environ values proxyFix may change, as they were. */
export interface ProxyFixOriginal {
  REMOTE_ADDR: string | undefined;
  "tsgi.url_scheme": string;
  HTTP_HOST: string | undefined;
  SERVER_NAME: string;
  SERVER_PORT: string;
  SCRIPT_NAME: string;
}

const LOOPBACK = ["127.0.0.0/8", "::1"];

/** Werkzeug `_get_real_value`: the hops-th value from the right, if there are that many. */
function fromRight(value: unknown, hops: number): string | undefined {
  if (hops <= 0 || typeof value !== "string" || value === "") return undefined;
  const values = value.split(",").map((v) => v.trim());
  return values.length >= hops ? values[values.length - hops] : undefined;
}

// RFC 3986 §3.2.2: a host name or IPv4 (unreserved chars only: no sub-delims or escapes that
// could reach an HTML page or a redirect), or an IP-literal; an optional port.
const HOST = /^(?:[A-Za-z0-9\-._~]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const isPort = (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535;

function validHost(value: string): boolean {
  const match = HOST.exec(value);
  if (!match) return false;
  if (value.startsWith("[") && !isIp(value.slice(0, value.indexOf("]") + 1))) return false;
  return match[1] === undefined || isPort(match[1]);
}

/** A prefix is an absolute path without dot segments or control bytes; "/" means none. */
function prefixPath(value: string): string | undefined {
  const path = unquoteToBytes(value).replace(/\/+$/, "");
  if (!value.startsWith("/") || /[\x00-\x1f\x7f?#]/.test(path)) return undefined;
  if (path.split("/").some((s) => s === "." || s === "..")) return undefined;
  return path;
}

function hops(options: ProxyFixOptions, name: keyof ProxyFixOptions, fallback: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`proxyFix: ${name} must be a hop count (an integer >= 0)`);
  }
  return value;
}

/** Wraps an application so a trusted proxy's X-Forwarded-* headers describe the request. */
export function proxyFix(app: Application, options: ProxyFixOptions = {}): Application {
  const trusted = addressMatcher(options.trusted ?? LOOPBACK);
  const counts = {
    for: hops(options, "for", 1),
    proto: hops(options, "proto", 1),
    host: hops(options, "host", 0),
    port: hops(options, "port", 0),
    prefix: hops(options, "prefix", 0),
  };
  return (environ, startResponse) => {
    if (!trusted(environ.REMOTE_ADDR)) return app(environ, startResponse);
    const fixed: Environ = { ...environ, "tsgi.proxy_fix.orig": original(environ) };
    const forwarded = fromRight(environ.HTTP_X_FORWARDED_FOR, counts.for);
    if (forwarded !== undefined && isIp(forwarded))
      fixed.REMOTE_ADDR = forwarded.replace(/^\[|\]$/g, "");
    const proto = fromRight(environ.HTTP_X_FORWARDED_PROTO, counts.proto)?.toLowerCase();
    if (proto === "http" || proto === "https") fixed["tsgi.url_scheme"] = proto;
    const host = fromRight(environ.HTTP_X_FORWARDED_HOST, counts.host);
    if (host !== undefined && validHost(host)) applyHost(fixed, host);
    const port = fromRight(environ.HTTP_X_FORWARDED_PORT, counts.port);
    if (port !== undefined && isPort(port)) applyPort(fixed, port);
    const prefix = fromRight(environ.HTTP_X_FORWARDED_PREFIX, counts.prefix);
    const path = prefix === undefined ? undefined : prefixPath(prefix);
    if (path !== undefined) fixed.SCRIPT_NAME = `${path}${environ.SCRIPT_NAME ?? ""}`;
    return app(fixed, startResponse);
  };
}

function original(environ: Environ): ProxyFixOriginal {
  return {
    REMOTE_ADDR: environ.REMOTE_ADDR,
    "tsgi.url_scheme": environ["tsgi.url_scheme"],
    HTTP_HOST: environ.HTTP_HOST,
    SERVER_NAME: environ.SERVER_NAME,
    SERVER_PORT: environ.SERVER_PORT,
    SCRIPT_NAME: environ.SCRIPT_NAME,
  };
}

/** `host[:port]` -> HTTP_HOST, SERVER_NAME and, when it has one, SERVER_PORT (as Werkzeug). */
function applyHost(environ: Environ, host: string): void {
  environ.HTTP_HOST = host;
  const colon = host.lastIndexOf(":");
  const hasPort = colon > host.lastIndexOf("]");
  environ.SERVER_NAME = hasPort ? host.slice(0, colon) : host;
  if (hasPort) environ.SERVER_PORT = host.slice(colon + 1);
}

/** The port replaces SERVER_PORT and the port of HTTP_HOST (as Werkzeug). */
function applyPort(environ: Environ, port: string): void {
  const host = environ.HTTP_HOST;
  if (host) {
    const colon = host.lastIndexOf(":");
    const name = colon > host.lastIndexOf("]") ? host.slice(0, colon) : host;
    environ.HTTP_HOST = `${name}:${port}`;
  }
  environ.SERVER_PORT = port;
}
