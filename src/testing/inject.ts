import { buildEnviron } from "../core/environ.js";
import { runApp } from "../core/run.js";
import type { Application, Environ, ErrorStream, Headers, Outcome, Sink } from "../core/types.js";
import { metaVariablesFromRequest } from "../protocol/cgi.js";

export interface InjectRequest {
  method?: string;
  /** Request target: "/path?query" (percent-encoded, as on the wire). Default "/". */
  url?: string;
  /** Request headers: an object or a list of pairs (repeated names allowed). */
  headers?: Record<string, string> | Array<[string, string]>;
  /** The request body; text is sent as UTF-8. Sets CONTENT_LENGTH. */
  body?: string | Uint8Array;
  /** Meta-variables or environ keys to add or override. */
  environ?: Record<string, unknown>;
  /** Aborting it simulates a client that goes away. */
  signal?: AbortSignal;
}

export interface InjectResult {
  /** The status line, "200 OK"; empty when the response broke before its headers. */
  status: string;
  statusCode: number;
  headers: Headers;
  body: Uint8Array;
  /** Everything the app and the core wrote to `tsgi.errors`. */
  errors: string;
  /** How the run ended: `broken` means the response was cut off after its headers. */
  outcome: Outcome;
  /** The value of the first header with this name (case-insensitive). */
  header(name: string): string | undefined;
  text(): string;
  json(): unknown;
}

/**
 * Runs `app` on one simulated request in memory, through the same core as every front-end.
 *
 * @example
 * const res = await inject(app, { method: "POST", url: "/echo?x=1", body: "hi" });
 * expect(res.statusCode).toBe(200);
 */
export async function inject(app: Application, request: InjectRequest = {}): Promise<InjectResult> {
  const body = typeof request.body === "string" ? Buffer.from(request.body) : request.body;
  const vars = metaVariablesFromRequest({
    method: request.method ?? "GET",
    target: request.url ?? "/",
    headers: headerPairs(request.headers, body),
  });
  const errors = new MemoryErrors();
  const { environ: extra, ...rest } = request;
  const environ: Environ = buildEnviron(vars, {
    source: body ? once(body) : null,
    bodyWithoutLength: "none",
    errors,
    signal: rest.signal ?? new AbortController().signal,
    multithread: false,
    multiprocess: false,
    runOnce: false,
  });
  Object.assign(environ, extra);
  const sink = new MemorySink();
  const outcome = await runApp(app, environ, sink);
  return result(sink, errors, outcome);
}

function headerPairs(
  headers: InjectRequest["headers"],
  body: Uint8Array | undefined,
): Array<[string, string]> {
  const pairs: Array<[string, string]> = Array.isArray(headers)
    ? [...headers]
    : Object.entries(headers ?? {});
  const hasLength = pairs.some(([name]) => name.toLowerCase() === "content-length");
  if (body && !hasLength) pairs.push(["Content-Length", String(body.length)]);
  return pairs;
}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}

class MemoryErrors implements ErrorStream {
  text = "";
  write(text: string): void {
    this.text += text;
  }
  flush(): void {}
}

class MemorySink implements Sink {
  status = "";
  headers: Headers = [];
  chunks: Uint8Array[] = [];
  commit(status: string, headers: Headers): void {
    this.status = status;
    this.headers = headers;
  }
  write(chunk: Uint8Array): void {
    // Copy: the app may reuse its buffer once write() resolved.
    this.chunks.push(Uint8Array.from(chunk));
  }
  end(): void {}
  abort(): void {}
}

function result(sink: MemorySink, errors: MemoryErrors, outcome: Outcome): InjectResult {
  const body = Buffer.concat(sink.chunks);
  return {
    status: sink.status,
    statusCode: sink.status ? Number(sink.status.slice(0, 3)) : 0,
    headers: sink.headers,
    body,
    errors: errors.text,
    outcome,
    header: (name) => sink.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8")),
  };
}
