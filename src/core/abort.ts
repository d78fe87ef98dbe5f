/**
 * `tsgi.signal`, made only when someone asks for it. Most requests never look at it, and an
 * AbortController costs ~1.6 µs to make: a tenth of a hello-world FastCGI request
 * (bench/run.mjs, CPU/req column). A front-end that serves many requests per process passes
 * one of these to `buildEnviron` and `runApp`; the core checks `aborted` without making one.
 */
export class RequestAbort {
  aborted = false;
  reason: unknown = undefined;
  #controller: AbortController | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Fires the signal, if anyone made it; later calls do nothing. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
  }
}
