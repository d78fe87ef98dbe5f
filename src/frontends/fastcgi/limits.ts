/**
 * The FastCGI responder's limits: what one process accepts from its web servers. Defaults are
 * generous enough for a busy nginx (PHP-FPM's pool defaults and nginx's fastcgi buffers were
 * the yardstick) and every one can be lowered.
 */

import type { OperationsOptions } from "./ops/options.js";

export interface FastCgiOptions extends OperationsOptions {
  /** Open connections at once; past it new connections are closed at accept. FCGI_MAX_CONNS. */
  maxConns?: number;
  /** Active requests in the process; past it BEGIN_REQUEST gets FCGI_OVERLOADED. FCGI_MAX_REQS. */
  maxReqs?: number;
  /** PARAMS bytes of one request. */
  maxParamsBytes?: number;
  /** Name-value pairs in the PARAMS of one request. */
  maxParamsPairs?: number;
  /** Active requests on one connection (including ones still sending PARAMS). */
  maxRequestsPerConn?: number;
  /**
   * A connection with no active request that sends nothing for this long is closed; one whose
   * requests wait for STDIN that does not come has those requests dropped.
   */
  idleTimeoutMs?: number;
  /** A request whose PARAMS have not ended this long after BEGIN_REQUEST is dropped. */
  paramsTimeoutMs?: number;
  /**
   * A request whose app still runs this long after its PARAMS ended is aborted: `tsgi.signal`
   * fires, `close()` runs; before its headers the web server gets 504, after them a broken
   * response. Default: none.
   */
  requestTimeoutMs?: number;
  /** Permissions of a Unix socket the server creates; default 0o660. */
  socketMode?: number;
  /** Where the server's own one-line messages go; default stderr. */
  log?: (line: string) => void;
}

export interface FastCgiLimits {
  maxConns: number;
  maxReqs: number;
  maxParamsBytes: number;
  maxParamsPairs: number;
  maxRequestsPerConn: number;
  idleTimeoutMs: number;
  paramsTimeoutMs: number;
  /** 0: requests run as long as they like. */
  requestTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<FastCgiLimits> = Object.freeze({
  maxConns: 1024,
  maxReqs: 1024,
  maxParamsBytes: 1024 * 1024,
  maxParamsPairs: 2000,
  maxRequestsPerConn: 64,
  idleTimeoutMs: 60_000,
  paramsTimeoutMs: 30_000,
  requestTimeoutMs: 0,
});

/** Unread STDIN bytes one request may hold before the connection stops reading. */
export const STDIN_HIGH_WATER = 1024 * 1024;

/** The limits from `options`, defaults filled in; a limit that is not a positive integer is a RangeError. */
export function resolveLimits(options: FastCgiOptions): FastCgiLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof FastCgiLimits>) {
    const value = options[name];
    if (value === undefined || (name === "requestTimeoutMs" && value === 0)) continue;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`FastCGI option ${name} must be a positive integer, got ${value}`);
    }
    limits[name] = value;
  }
  return limits;
}
