import { createWriteStream, type WriteStream } from "node:fs";

/**
 * An append-only log file that can be reopened (SIGUSR1 after logrotate renamed it): lines go
 * to a write stream opened with O_APPEND, so several processes may share the file, and
 * `reopen()` opens the path afresh while the old stream finishes what it holds. `-` is stdout.
 */
export class LogFile {
  readonly path: string;
  #stream: WriteStream | NodeJS.WritableStream;
  readonly #onError: (error: Error) => void;

  constructor(path: string, onError: (error: Error) => void = reportError) {
    this.path = path;
    this.#onError = onError;
    this.#stream = this.#open();
  }

  write(line: string): void {
    this.#stream.write(line);
  }

  /** Opens the path again: after a rename the old file gets nothing more. */
  reopen(): void {
    if (this.path === "-") return;
    const old = this.#stream;
    this.#stream = this.#open();
    old.end();
  }

  /** Resolves once every line written so far reached the file. */
  close(): Promise<void> {
    if (this.path === "-") return Promise.resolve();
    const stream = this.#stream;
    return new Promise((resolve) => stream.end(resolve));
  }

  #open(): WriteStream | NodeJS.WritableStream {
    if (this.path === "-") return process.stdout;
    const stream = createWriteStream(this.path, { flags: "a" });
    stream.on("error", this.#onError);
    return stream;
  }
}

function reportError(error: Error): void {
  process.stderr.write(`tsgi: log file: ${error.message}\n`);
}
