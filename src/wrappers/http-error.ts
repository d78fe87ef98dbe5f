/**
 * `HttpError`: an error that carries the status a client should get (a body too large -> 413,
 * bad JSON -> 400). `Request.application` turns it into that response; anything else thrown is
 * the app's bug and becomes the gateway's 500.
 */
import { TsgiError } from "../core/errors.js";

const REASONS: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  431: "Request Header Fields Too Large",
};

export class HttpError extends TsgiError {
  /** The HTTP status code, 4xx. */
  readonly status: number;

  /** `message` is shown to the client: say what was wrong, never echo secrets. */
  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(`ERR_TSGI_HTTP_${status}`, message, options);
    this.status = status;
  }

  /** The status line, "413 Content Too Large" (RFC 9110 §15). */
  get statusLine(): string {
    return `${this.status} ${REASONS[this.status] ?? "Error"}`;
  }
}

/** True for an HttpError, compared by shape: bundles may hold two copies of the class. */
export function isHttpError(err: unknown): err is HttpError {
  return (
    err instanceof Error &&
    typeof (err as { status?: unknown }).status === "number" &&
    String((err as { code?: unknown }).code).startsWith("ERR_TSGI_HTTP_")
  );
}
