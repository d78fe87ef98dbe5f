import { appendFileSync, writeSync } from "node:fs";
import type { InFlight } from "./tracker.js";

/**
 * Where slow-log entries go: a file opened for each entry (O_APPEND, so entries from several
 * workers never interleave inside one and a file renamed by logrotate is followed at once, with
 * no reopen needed), or stderr (fd 2: a master passes its own to its workers). Written
 * synchronously: entries are rare, and the watchdog thread writes while the main thread is
 * blocked. The watchdog thread's copy of this format is in watchdog-thread.ts.
 */
export class SlowLog {
  readonly #file: string | null;
  readonly #fallback: (line: string) => void;

  constructor(file: string | null, fallback: (line: string) => void) {
    this.#file = file;
    this.#fallback = fallback;
  }

  write(entry: string): void {
    try {
      if (this.#file === null) writeSync(2, entry);
      else appendFileSync(this.#file, entry);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.#fallback(`tsgi: slow log ${this.#file ?? "stderr"}: ${why}`);
    }
  }
}

/** `[2026-12-05T04:40:00.000Z] slow request: pid 1234, GET /report?x=1, running for 2.01 s` */
export function slowRequestEntry(request: InFlight, now = Date.now(), pid = process.pid): string {
  const seconds = ((now - request.start) / 1000).toFixed(2);
  return `[${new Date(now).toISOString()}] slow request: pid ${pid}, ${request.method} ${request.uri}, running for ${seconds} s\n`;
}
