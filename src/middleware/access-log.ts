/**
 * `accessLog(app, options)`: one line per request, written once the response ended (after the
 * gateway called `close()`), with the body bytes that really went out: a response broken
 * half-way or a client that left logs what was sent, not what was declared.
 *
 * The default format is `combined`, byte for byte the line nginx's built-in `combined` writes
 * for the same request but for the time; `common`, `json` and `$variable` templates as in
 * `log-format.ts`.
 *
 * @example
 * import { accessLog } from "tsgi";
 * const logged = accessLog(app); // combined, to environ["tsgi.errors"]
 * const json = accessLog(app, { format: "json", write: (line) => stream.write(line) });
 * const timed = accessLog(app, { format: '$remote_addr "$request" $status $request_time' });
 */
import { iterateBody } from "../core/body-iterator.js";
import type { Application, Body, Environ, Headers, StartResponse } from "../core/types.js";
import { headerValue } from "./capture-response.js";
import { accessLogFields } from "./log-fields.js";
import { type AccessLogFormat, compileAccessLogFormat } from "./log-format.js";

export interface AccessLogOptions {
  /** `combined` (default), `common`, `json`, a `$variable` template or a function. */
  format?: AccessLogFormat;
  /** Receives each line with its `\n`; default `environ["tsgi.errors"].write`, else stderr. */
  write?: (line: string, environ: Environ) => void;
}

function defaultWrite(line: string, environ: Environ): void {
  const errors = environ["tsgi.errors"];
  if (errors && typeof errors.write === "function") errors.write(line);
  else process.stderr.write(line);
}

function declaredLength(headers: Headers): number | undefined {
  const value = headerValue(headers, "content-length");
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** Per-request bookkeeping: what status went out and how many bytes passed through. */
class Tally {
  status: string | undefined;
  declared: number | undefined;
  bytes = 0;
  /** Headers went out: a chunk or a write() passed, or the body ended. */
  committed = false;
  failed = false;

  /**
   * What went out: bytes past a declared Content-Length are dropped by the core (rule 8), and a
   * response to HEAD, a 1xx, 204 or 304 has no body on the wire whatever the app offered
   * (RFC 9110 §9.3.2, §15.3.5, §15.4.5; nginx logs 0 for them).
   */
  sent(method: string): number {
    const code = Number(this.finalStatus()?.slice(0, 3));
    if (method === "HEAD" || code < 200 || code === 204 || code === 304) return 0;
    return this.declared === undefined ? this.bytes : Math.min(this.bytes, this.declared);
  }

  /** Before the headers, a failure is the core's 500 (design §1 rule 10). */
  finalStatus(): string | undefined {
    return this.failed && !this.committed ? "500" : this.status;
  }

  passed(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    if (chunk.length > 0) this.committed = true;
  }
}

/** Wraps an application so every request gets one access-log line after its response. */
export function accessLog(app: Application, options: AccessLogOptions = {}): Application {
  const format = compileAccessLogFormat(options.format ?? "combined");
  const write = options.write ?? defaultWrite;
  return async (environ, startResponse) => {
    const time = new Date();
    const start = performance.now();
    const tally = new Tally();
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      const fields = accessLogFields(environ, {
        status: tally.finalStatus(),
        bytesSent: tally.sent(environ.REQUEST_METHOD),
        start,
        end: performance.now(),
        time,
      });
      try {
        write(`${format(fields)}\n`, environ);
      } catch (error) {
        // A failing log sink never breaks the response it logs.
        defaultWrite(`tsgi: accessLog: write failed: ${error}\n`, environ);
      }
    };
    const counted: StartResponse = (status, headers, excInfo) => {
      const sink = startResponse(status, headers, excInfo);
      tally.status = status;
      tally.declared = declaredLength(headers);
      return async (chunk) => {
        await sink(chunk);
        tally.passed(chunk);
      };
    };
    let body: Body;
    try {
      body = await app(environ, counted);
    } catch (error) {
      tally.failed = true;
      log();
      throw error;
    }
    return countedBody(body, tally, log);
  };
}

function countedBody(body: Body, tally: Tally, log: () => void): Body {
  return {
    async *[Symbol.asyncIterator]() {
      const it = iterateBody(body);
      let done = false;
      try {
        for (;;) {
          const step = await it.next();
          if (step.done) break;
          yield step.value;
          // Resumed: the core's sink accepted the chunk.
          tally.passed(step.value);
        }
        done = true;
        tally.committed = true;
      } catch (error) {
        tally.failed = true;
        throw error;
      } finally {
        if (!done) await it.return?.();
      }
    },
    async close() {
      try {
        await body.close?.();
      } finally {
        log();
      }
    },
  };
}
