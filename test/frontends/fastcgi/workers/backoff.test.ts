import { expect, test } from "vitest";
import {
  BACKOFF_MAX_MS,
  Backoff,
  STABLE_AFTER_MS,
} from "../../../../src/frontends/fastcgi/workers/backoff.js";

test("at once, then 0.1 s doubling to 30 s while workers keep dying before they are stable", () => {
  const backoff = new Backoff();
  const delays = Array.from({ length: 12 }, () => backoff.next(0));
  expect(delays).toEqual([0, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000]);
  expect(Math.max(...delays)).toBe(BACKOFF_MAX_MS);
});

test("a worker that had been serving dies once: replaced at once, and the count starts again", () => {
  const backoff = new Backoff();
  backoff.next(0);
  backoff.next(0);
  expect(backoff.next(50)).toBe(200); // ready for 50 ms: still dying
  expect(backoff.next(STABLE_AFTER_MS)).toBe(0);
  expect(backoff.next(0)).toBe(100);
  expect(backoff.next(60_000)).toBe(0);
});
