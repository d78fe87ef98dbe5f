import type { Environ, Headers } from "../core/types.js";
import { decodeUtf8 } from "../core/url.js";

/** A rendered error response. */
export interface ErrorPage {
  status: string;
  headers: Headers;
  body: Uint8Array | string;
}

/** What a `render` function is given. */
export interface ErrorContext {
  error: unknown;
  environ: Environ;
  debug: boolean;
  /** What the client prefers by its Accept header. */
  type: "html" | "json";
}

const STATUS = "500 Internal Server Error";

// Credentials never reach a page, even a development one.
const REDACTED = new Set(["HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION"]);

/** The q-value the Accept header gives `type` (RFC 9110 §12.5.1), the most specific range wins. */
function quality(accept: string, type: string): number {
  const [major] = type.split("/");
  let best = -1;
  let q = 0;
  for (const range of accept.split(",")) {
    const [media, ...params] = range.trim().toLowerCase().split(";");
    const specificity = media === type ? 3 : media === `${major}/*` ? 2 : media === "*/*" ? 1 : -1;
    if (specificity <= best) continue;
    best = specificity;
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    q = qParam ? Number(qParam.slice(2)) || 0 : 1;
  }
  return q;
}

/** JSON when the client ranks it above HTML, else HTML (also without an Accept header). */
export function preferredType(environ: Environ): "html" | "json" {
  const accept = environ.HTTP_ACCEPT;
  if (!accept) return "html";
  return quality(accept, "application/json") > quality(accept, "text/html") ? "json" : "html";
}

/** The environ as text for a debug page: byte strings decoded, credentials and objects hidden. */
export function redactedEnviron(environ: Environ): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const key of Object.keys(environ).sort()) {
    const value = environ[key];
    if (value === undefined) continue;
    if (REDACTED.has(key)) shown[key] = "[redacted]";
    else if (typeof value === "string") shown[key] = decodeUtf8(value);
    else if (typeof value === "boolean" || typeof value === "number") shown[key] = String(value);
    else if (Array.isArray(value)) shown[key] = JSON.stringify(value);
    else shown[key] = `[${typeof value}]`;
  }
  return shown;
}

function stackOf(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `thrown value: ${String(error)}`;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

function htmlPage(context: ErrorContext): string {
  let details = "";
  if (context.debug) {
    const rows = Object.entries(redactedEnviron(context.environ))
      .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join("\n");
    details =
      `<h2>Stack</h2>\n<pre>${escapeHtml(stackOf(context.error))}</pre>\n` +
      `<h2>Environ</h2>\n<table>\n${rows}\n</table>\n`;
  }
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${STATUS}</title></head>\n` +
    `<body><h1>${STATUS}</h1>\n${details}</body></html>\n`
  );
}

function jsonPage(context: ErrorContext): string {
  const error: Record<string, unknown> = { status: 500, message: "Internal Server Error" };
  if (context.debug) {
    error.stack = stackOf(context.error);
    error.environ = redactedEnviron(context.environ);
  }
  return `${JSON.stringify({ error })}\n`;
}

/**
 * The default 500 page. In production it shows nothing of the error; with `debug` the stack and
 * the environ, escaped (HTML) or as JSON. Never cached (RFC 9111 §5.2.2.5 no-store).
 */
export function defaultErrorPage(context: ErrorContext): ErrorPage {
  const json = context.type === "json";
  return {
    status: STATUS,
    headers: [
      ["Content-Type", json ? "application/json; charset=utf-8" : "text/html; charset=utf-8"],
      ["Cache-Control", "no-store"],
    ],
    body: json ? jsonPage(context) : htmlPage(context),
  };
}
