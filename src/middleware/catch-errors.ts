/**
 * `catchErrors(app, options)`: turns an error the application throws (calling it, or while its
 * body runs) into a 500 page, before the headers went out. After the headers went out a page
 * cannot be appended to a body that already started: the error is re-thrown so the gateway
 * breaks the response (design §1 rule 10; PEP 3333 "re-raise"), and the client sees an
 * incomplete response, not a complete-looking one with a page in the middle.
 *
 * In production (the default) the page shows nothing of the error; `debug: true` shows the
 * HTML-escaped stack and the environ with Cookie and Authorization redacted (never in
 * production). Every error is written to `tsgi.errors` with its stack, and handed once to
 * `onError` (for reporting; whatever it throws is logged, not raised).
 *
 * @example
 * import { catchErrors } from "tsgi";
 * const safe = catchErrors(app, { onError: (error, environ) => report(error) });
 * const dev = catchErrors(app, { debug: true });
 */
import { type AnyIterator, iterateBody } from "../core/body-iterator.js";
import type { Application, Body, Environ, StartResponse } from "../core/types.js";
import {
  defaultErrorPage,
  type ErrorContext,
  type ErrorPage,
  preferredType,
} from "./error-page.js";

export type { ErrorContext, ErrorPage } from "./error-page.js";

export interface CatchErrorsOptions {
  /** Show the stack and the environ on the page. Development only. */
  debug?: boolean;
  /** Called once per error, also after the headers; may be async (not awaited). */
  onError?: (error: unknown, environ: Environ) => void | Promise<void>;
  /** Renders the page instead of the default one; a render that throws falls back to it. */
  render?: (context: ErrorContext) => ErrorPage;
}

/** Per request: whether the app called startResponse, and whether the headers went out. */
interface State {
  started: boolean;
  committed: boolean;
}

/** Wraps an application so its errors become a 500 page (before headers) or a broken response. */
export function catchErrors(app: Application, options: CatchErrorsOptions = {}): Application {
  return async (environ, startResponse) => {
    const state: State = { started: false, committed: false };
    const tracked: StartResponse = (status, headers, excInfo) => {
      const write = startResponse(status, headers, excInfo);
      state.started = true;
      return async (chunk) => {
        if (chunk.length > 0) state.committed = true;
        await write(chunk);
      };
    };
    const recover = (error: unknown): Body => {
      report(error, environ, options, state.committed);
      if (state.committed) throw error;
      const page = renderPage(error, environ, options);
      // PEP 3333: once the app called start_response, replace its headers with exc_info.
      startResponse(page.status, page.headers, state.started ? error : undefined);
      // RFC 9110 §9.3.2: HEAD gets the headers of the page, not its body.
      return environ.REQUEST_METHOD === "HEAD" ? [] : [page.body];
    };
    let body: Body;
    try {
      body = await app(environ, tracked);
    } catch (error) {
      return recover(error);
    }
    return guardedBody(body, state, recover);
  };
}

function guardedBody(body: Body, state: State, recover: (error: unknown) => Body): Body {
  return {
    async *[Symbol.asyncIterator]() {
      let it: AnyIterator | undefined;
      let done = false;
      try {
        it = iterateBody(body);
        for (;;) {
          const step = await it.next();
          if (step.done) break;
          // The core commits the headers with the first non-empty chunk (design §1 rule 5).
          if (step.value.length > 0) state.committed = true;
          yield step.value;
        }
        done = true;
      } catch (error) {
        done = true;
        yield* recover(error) as Iterable<Uint8Array>;
      } finally {
        if (!done) await it?.return?.();
      }
    },
    close: () => body.close?.(),
  };
}

function renderPage(error: unknown, environ: Environ, options: CatchErrorsOptions) {
  const context: ErrorContext = {
    error,
    environ,
    debug: options.debug === true,
    type: preferredType(environ),
  };
  let page: ErrorPage = defaultErrorPage(context);
  if (options.render) {
    try {
      page = options.render(context);
    } catch (renderError) {
      environ["tsgi.errors"].write(`tsgi: catchErrors: render failed: ${stack(renderError)}\n`);
    }
  }
  const bytes = typeof page.body === "string" ? Buffer.from(page.body, "utf8") : page.body;
  const headers = page.headers.filter(([name]) => name.toLowerCase() !== "content-length");
  headers.push(["Content-Length", String(bytes.length)]);
  return { status: page.status, headers, body: bytes };
}

const requestOf = (environ: Environ) =>
  `${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME ?? ""}${environ.PATH_INFO ?? ""}`;

const stack = (error: unknown) =>
  error instanceof Error ? (error.stack ?? String(error)) : String(error);

/** The log line on tsgi.errors, then onError once; a failing onError is logged, never raised. */
function report(
  error: unknown,
  environ: Environ,
  options: CatchErrorsOptions,
  committed: boolean,
): void {
  const errors = environ["tsgi.errors"];
  // After the headers the error goes on to the core, which logs it as it breaks the response.
  if (!committed)
    errors.write(`tsgi: catchErrors: 500 for ${requestOf(environ)}: ${stack(error)}\n`);
  if (!options.onError) return;
  const failed = (e: unknown) => errors.write(`tsgi: catchErrors: onError failed: ${stack(e)}\n`);
  try {
    const result = options.onError(error, environ);
    if (result && typeof result.then === "function") result.then(undefined, failed);
  } catch (e) {
    failed(e);
  }
}
