/** The first delay once a worker keeps dying, and the cap (issue 10 §1: 0.1 s doubling to 30 s). */
export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
/** A worker that was ready at least this long died "once", not "again": respawn at once. */
export const STABLE_AFTER_MS = 1000;

/**
 * How long to wait before replacing a worker that died (issue 10 §1): at once after a worker
 * that had been serving, then 0.1 s, 0.2 s, 0.4 s, ... up to 30 s while replacements keep
 * dying before they are stable (never ready, or ready for less than STABLE_AFTER_MS). A stable
 * worker's death starts the count again. pm2 and uWSGI inspired this; gunicorn has no delay.
 */
export class Backoff {
  #streak = 0;

  /** The delay for a death; `servedMs` is how long the dead worker had been ready (0: never). */
  next(servedMs: number): number {
    if (servedMs >= STABLE_AFTER_MS) this.#streak = 0;
    const streak = this.#streak++;
    if (streak === 0) return 0;
    return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (streak - 1));
  }

  /** Deaths in a row so far. */
  get streak(): number {
    return this.#streak;
  }
}
