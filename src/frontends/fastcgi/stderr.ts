import type { ErrorStream } from "../../core/types.js";

/** Where a request's `tsgi.errors` text goes. */
export interface StderrTarget {
  writeStderr(text: string): void;
}

/** `tsgi.errors` under FastCGI: each write becomes FCGI_STDERR records of its request (§5.3). */
export class FcgiErrors implements ErrorStream {
  readonly #target: StderrTarget;

  constructor(target: StderrTarget) {
    this.#target = target;
  }

  write(text: string): void {
    this.#target.writeStderr(String(text));
  }

  flush(): void {
    // Records are flushed with the connection's output at the end of the tick.
  }
}
