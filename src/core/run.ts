import type { RequestAbort } from "./abort.js";
import { type AnyIterator, iterateBody } from "./body-iterator.js";
import { errorApp } from "./error-app.js";
import { isClientGone } from "./errors.js";
import { Response } from "./response.js";
import type { Application, Body, Environ, Outcome, Sink } from "./types.js";

export interface RunOptions {
  /** Answers when the app fails before its headers are sent; defaults to a plain 500 page. */
  errorApp?: Application;
  /** The RequestAbort behind a lazy `tsgi.signal`, so the core can check it without making one. */
  abort?: RequestAbort;
}

/** What the core needs of an abort: `tsgi.signal`, or the RequestAbort that would make it. */
type Abort = AbortSignal | RequestAbort;

const ARRAY_ITERATOR = Array.prototype[Symbol.iterator];

type Step = IteratorResult<Uint8Array> | Promise<IteratorResult<Uint8Array>>;

/**
 * Runs one application for one request against a front-end's sink, enforcing the contract of
 * design §1. Never throws: every failure ends up in the Outcome, on `tsgi.errors`, and in what
 * the sink was told (a 500 before the headers, `abort` after).
 */
export function runApp(
  app: Application,
  environ: Environ,
  sink: Sink,
  options: RunOptions = {},
): Promise<Outcome> {
  const result = startApp(app, environ, sink, options);
  return result instanceof Promise ? result : Promise.resolve(result);
}

/**
 * {@link runApp} for a front-end that can take the Outcome at once: when nothing is pending
 * (the app returned an array, the sink took every call at once, the body has no close()) the
 * request is over before this returns, and so is its Outcome, with no promise at all. A
 * resolved promise would still cost the front-end its `.catch()` promise and a microtask per
 * request (with the environ change beside it: 10.16 -> 9.73 µs CPU a hello-world request,
 * bench/micro/fastcgi-path.mjs --pin). Never throws, like runApp.
 */
export function startApp(
  app: Application,
  environ: Environ,
  sink: Sink,
  options: RunOptions = {},
): Outcome | Promise<Outcome> {
  const response = new Response(sink, environ.REQUEST_METHOD);
  const abort = options.abort ?? environ["tsgi.signal"];
  const fallback = options.errorApp ?? errorApp;
  let serving: void | Promise<void>;
  try {
    serving = serve(app, environ, response, abort);
  } catch (error) {
    return recover(error, environ, response, sink, abort, fallback);
  }
  if (serving === undefined) return outcome("ok", response);
  return serving.then(
    () => outcome("ok", response),
    (error: unknown) => recover(error, environ, response, sink, abort, fallback),
  );
}

/** Calls the app and sends what it returns; synchronous up to the first pending promise. */
function serve(
  app: Application,
  environ: Environ,
  response: Response,
  abort: Abort,
): void | Promise<void> {
  const returned = app(environ, response.startResponse);
  if (returned instanceof Promise) {
    return returned.then((body) => respond(body, environ, response, abort));
  }
  return respond(returned, environ, response, abort);
}

/** Sends the body and ends the response, then rule 9: close() exactly once, whatever happened. */
function respond(
  body: Body,
  environ: Environ,
  response: Response,
  abort: Abort,
): void | Promise<void> {
  let sending: void | Promise<void>;
  try {
    sending = sendBody(body, response, abort);
  } catch (error) {
    if (!hasClose(body)) throw error;
    sending = Promise.reject(error);
  }
  if (sending) return closeAfter(sending, body, environ);
  if (hasClose(body)) return close(body, environ);
}

async function closeAfter(sending: Promise<void>, body: Body, environ: Environ): Promise<void> {
  try {
    await sending;
  } finally {
    if (hasClose(body)) await close(body, environ);
  }
}

// Awaits only what is really pending: a hello-world app that returns an array runs through
// without a microtask hop per step (bench/run.mjs, CPU/req column).
function sendBody(body: Body, response: Response, abort: Abort): void | Promise<void> {
  const sending = isPlainArray(body)
    ? sendAll(body, response, abort)
    : drain(iterateBody(body), response, abort);
  if (sending) return sending.then(() => finish(response, abort));
  return finish(response, abort);
}

function finish(response: Response, abort: Abort): void | Promise<void> {
  if (abort.aborted) throw abort.reason;
  return response.finish();
}

function hasClose(body: Body): body is Body & { close(): void | Promise<void> } {
  return Boolean(body) && typeof body.close === "function";
}

function isPlainArray(body: unknown): body is Uint8Array[] {
  return Array.isArray(body) && body[Symbol.iterator] === ARRAY_ITERATOR;
}

// An array has no iterator to stop early, so it needs none of drain()'s bookkeeping.
function sendAll(body: Uint8Array[], response: Response, abort: Abort): void | Promise<void> {
  for (let i = 0; i < body.length; i++) {
    const sending = response.send(body[i]);
    if (sending)
      return sending.then(() =>
        abort.aborted ? undefined : sendAll(body.slice(i + 1), response, abort),
      );
    if (abort.aborted) return;
  }
}

async function recover(
  error: unknown,
  environ: Environ,
  response: Response,
  sink: Sink,
  abort: Abort,
  fallback: Application,
): Promise<Outcome> {
  if (isClientGone(error) || abort.aborted) {
    sink.abort(error);
    return outcome("gone", response, error);
  }
  log(environ, error);
  if (response.state === "idle" || response.state === "started") {
    response.reset();
    try {
      await serve(fallback, environ, response, abort);
      return outcome("error", response, error);
    } catch (second) {
      log(environ, second);
    }
  }
  // Rule 10: after the headers went out, the response must not look complete.
  sink.abort(error);
  return outcome("broken", response, error);
}

async function drain(it: AnyIterator, response: Response, abort: Abort): Promise<void> {
  let open = true; // false once the iterator finished or threw: it needs no return()
  try {
    for (;;) {
      let step: Step;
      try {
        step = it.next();
        if (step instanceof Promise) step = await untilAborted(step, signalOf(abort));
      } catch (error) {
        if (!abort.aborted || error !== abort.reason) open = false;
        throw error;
      }
      if (step.done) {
        open = false;
        return;
      }
      const sending = response.send(step.value);
      if (sending) await sending;
      if (abort.aborted) return;
    }
  } finally {
    // The iteration protocol: tell a suspended generator we stopped early (runs its finally).
    if (open) stopIterator(it);
  }
}

function signalOf(abort: Abort): AbortSignal {
  return abort instanceof AbortSignal ? abort : abort.signal;
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
async function close(
  body: Body & { close(): void | Promise<void> },
  environ: Environ,
): Promise<void> {
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
