import { errorApp } from "./error-app.js";
import { ContractError, isClientGone } from "./errors.js";
import { describe } from "./headers.js";
import { Response } from "./response.js";
import type { Application, Body, Environ, Outcome, Sink } from "./types.js";

export interface RunOptions {
  /** Answers when the app fails before its headers are sent; defaults to a plain 500 page. */
  errorApp?: Application;
}

type Step = IteratorResult<Uint8Array> | Promise<IteratorResult<Uint8Array>>;
type AnyIterator = Iterator<Uint8Array> | AsyncIterator<Uint8Array>;

/**
 * Runs one application for one request against a front-end's sink, enforcing the contract of
 * design §1. Never throws: every failure ends up in the Outcome, on `tsgi.errors`, and in what
 * the sink was told (a 500 before the headers, `abort` after).
 */
export async function runApp(
  app: Application,
  environ: Environ,
  sink: Sink,
  options: RunOptions = {},
): Promise<Outcome> {
  const response = new Response(sink, environ.REQUEST_METHOD);
  try {
    await serve(app, environ, response);
    return outcome("ok", response);
  } catch (error) {
    return await recover(error, environ, response, sink, options.errorApp ?? errorApp);
  }
}

async function serve(app: Application, environ: Environ, response: Response): Promise<void> {
  let body: Body | undefined;
  try {
    body = await app(environ, response.startResponse);
    await drain(iterate(body), response, environ["tsgi.signal"]);
    if (environ["tsgi.signal"].aborted) throw environ["tsgi.signal"].reason;
    const finishing = response.finish();
    if (finishing) await finishing;
  } finally {
    if (body) await close(body, environ);
  }
}

async function recover(
  error: unknown,
  environ: Environ,
  response: Response,
  sink: Sink,
  fallback: Application,
): Promise<Outcome> {
  if (isClientGone(error) || environ["tsgi.signal"].aborted) {
    sink.abort(error);
    return outcome("gone", response, error);
  }
  log(environ, error);
  if (response.state === "idle" || response.state === "started") {
    response.reset();
    try {
      await serve(fallback, environ, response);
      return outcome("error", response, error);
    } catch (second) {
      log(environ, second);
    }
  }
  // Rule 10: after the headers went out, the response must not look complete.
  sink.abort(error);
  return outcome("broken", response, error);
}

function iterate(body: unknown): AnyIterator {
  if (body !== null && typeof body === "object" && !(body instanceof Uint8Array)) {
    const asyncIt = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
    if (typeof asyncIt === "function") return asyncIt.call(body);
    const syncIt = (body as Iterable<Uint8Array>)[Symbol.iterator];
    if (typeof syncIt === "function") return syncIt.call(body);
  }
  const hint =
    typeof body === "string" || body instanceof Uint8Array ? ": return [chunk], not chunk" : "";
  throw new ContractError(
    `the application must return an iterable of Uint8Array, got ${describe(body)}${hint}`,
  );
}

async function drain(it: AnyIterator, response: Response, signal: AbortSignal): Promise<void> {
  let open = true; // false once the iterator finished or threw: it needs no return()
  try {
    for (;;) {
      let step: Step;
      try {
        step = it.next();
        if (step instanceof Promise) step = await untilAborted(step, signal);
      } catch (error) {
        if (!signal.aborted || error !== signal.reason) open = false;
        throw error;
      }
      if (step.done) {
        open = false;
        return;
      }
      const sending = response.send(step.value);
      if (sending) await sending;
      if (signal.aborted) return;
    }
  } finally {
    // The iteration protocol: tell a suspended generator we stopped early (runs its finally).
    if (open) stopIterator(it);
  }
}

/** Resolves with the step, or rejects with the abort reason when the client leaves first. */
function untilAborted<T>(step: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    step.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function stopIterator(it: AnyIterator): void {
  try {
    const stopped = it.return?.();
    if (stopped instanceof Promise) stopped.catch(noop);
  } catch {
    // A generator that is still running cannot be stopped; close() is still called.
  }
}

// Rule 9: close() exactly once, whatever happened; its own failure is logged, never thrown.
async function close(body: Body, environ: Environ): Promise<void> {
  if (typeof body?.close !== "function") return;
  try {
    await body.close();
  } catch (error) {
    log(environ, error, "in close()");
  }
}

function log(environ: Environ, error: unknown, where = "in application"): void {
  const request = `${environ.REQUEST_METHOD} ${environ.SCRIPT_NAME}${environ.PATH_INFO}`;
  const detail = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  try {
    environ["tsgi.errors"].write(`tsgi: error ${where} (${request}): ${detail}\n`);
  } catch {
    // Logging must never be what takes the request down.
  }
}

function outcome(kind: Outcome["kind"], response: Response, error?: unknown): Outcome {
  const result: Outcome = { kind, bytesSent: response.bytesSent };
  if (response.state === "committed" || response.state === "closed")
    result.status = response.status;
  if (error !== undefined) result.error = error;
  if (response.overrun > 0) result.overrun = response.overrun;
  return result;
}

function noop(): void {}
