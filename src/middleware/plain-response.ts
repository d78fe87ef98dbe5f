import type { Body, Environ, Headers, StartResponse } from "../core/types.js";

/**
 * A short text/plain response for a status (`"404 Not Found"`): the status line as the body,
 * nothing of the request echoed. HEAD gets the same headers without the body.
 */
export function plainResponse(
  environ: Environ,
  start: StartResponse,
  status: string,
  headers: Headers,
): Body {
  const body = Buffer.from(`${status}\n`);
  start(status, [
    ["Content-Type", "text/plain; charset=utf-8"],
    ...headers,
    ["Content-Length", String(body.length)],
  ]);
  return environ.REQUEST_METHOD === "HEAD" ? [] : [body];
}
