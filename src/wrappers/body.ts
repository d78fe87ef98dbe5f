/**
 * Reading a request body into memory, never past a limit: CONTENT_LENGTH over the limit is a
 * 413 before a byte is read, and a body without a length (chunked, FastCGI STDIN) is counted
 * as it arrives (RFC 9110 §15.5.14).
 */
import type { Environ } from "../core/types.js";
import { HttpError } from "./http-error.js";

/** Default for `text()`, `json()` and urlencoded forms: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/** CONTENT_LENGTH as a number, or undefined when absent; a malformed one is a 400. */
export function contentLength(environ: Environ): number | undefined {
  const raw = environ.CONTENT_LENGTH;
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw))
    throw new HttpError(400, `CONTENT_LENGTH ${JSON.stringify(raw)} is not a byte count`);
  return Number(raw);
}

/** 413 when the declared length alone is over `limit`. */
export function checkDeclaredLength(environ: Environ, limit: number, what: string): void {
  const length = contentLength(environ);
  if (length !== undefined && length > limit) {
    throw new HttpError(413, `${what} of ${length} bytes exceeds the limit of ${limit} bytes`);
  }
}

/** The whole body, at most `limit` bytes; more is a 413. */
export async function readBody(
  environ: Environ,
  limit: number,
  what = "request body",
): Promise<Uint8Array> {
  checkDeclaredLength(environ, limit, what);
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of environ["tsgi.input"]) {
    total += chunk.length;
    if (total > limit) {
      throw new HttpError(413, `${what} exceeds the limit of ${limit} bytes`);
    }
    parts.push(Uint8Array.from(chunk));
  }
  return Buffer.concat(parts, total);
}
