/**
 * One line a second at most for an event a flood repeats (refused requests, refused
 * connections): a peer that sends thousands must not turn each into a log line. The next line
 * that goes out counts the ones that did not.
 */
export class ThrottledLog {
  readonly #log: (line: string) => void;
  readonly #everyMs: number;
  #at = Number.NEGATIVE_INFINITY;
  #unlogged = 0;

  constructor(log: (line: string) => void, everyMs = 1000) {
    this.#log = log;
    this.#everyMs = everyMs;
  }

  /** Logs `line` unless a line went out less than `everyMs` before `now`. */
  line(now: number, line: string): void {
    if (now - this.#at < this.#everyMs) {
      this.#unlogged++;
      return;
    }
    const more = this.#unlogged > 0 ? ` (and ${this.#unlogged} more since the last such line)` : "";
    this.#at = now;
    this.#unlogged = 0;
    this.#log(`${line}${more}`);
  }
}
