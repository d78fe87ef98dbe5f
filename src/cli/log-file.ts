import { closeSync, openSync, writeSync } from "node:fs";

/** Lines held before they are written in one go (a busy server writes once per tick). */
const FLUSH_AT = 64 * 1024;

/**
 * An append-only log file that can be reopened (SIGUSR1 after logrotate renamed it). Lines are
 * gathered and written once per tick with one write(2) on a descriptor opened O_APPEND, so
 * several processes may share the file and a line is never split; what is held is written on
 * exit too. `reopen()` writes what it holds, closes and opens the path afresh: after a rename
 * the old file gets nothing more. `-` is stdout.
 */
export class LogFile {
  readonly path: string;
  #fd: number;
  #held = "";
  #scheduled = false;
  readonly #onError: (error: Error) => void;
  readonly #flush = () => this.flush();

  constructor(path: string, onError: (error: Error) => void = reportError) {
    this.path = path;
    this.#onError = onError;
    this.#fd = path === "-" ? 1 : openSync(path, "a");
    process.on("exit", this.#flush);
  }

  write(line: string): void {
    this.#held += line;
    if (this.#held.length >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (this.#held === "" || this.#fd < 0) return;
    const text = this.#held;
    this.#held = "";
    try {
      writeSync(this.#fd, text);
    } catch (error) {
      this.#onError(error as Error);
    }
  }

  /** Opens the path again (a new file after a rename); a failure keeps the old descriptor. */
  reopen(): void {
    if (this.path === "-") return;
    this.flush();
    try {
      const fd = openSync(this.path, "a");
      closeSync(this.#fd);
      this.#fd = fd;
    } catch (error) {
      this.#onError(error as Error);
    }
  }

  close(): Promise<void> {
    this.flush();
    process.off("exit", this.#flush);
    if (this.path !== "-" && this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    return Promise.resolve();
  }
}

function reportError(error: Error): void {
  process.stderr.write(`tsgi: log file: ${error.message}\n`);
}
