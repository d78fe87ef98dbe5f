import { expect, test } from "vitest";
import { overLimit, requestLimit } from "../../../../src/frontends/fastcgi/workers/recycle.js";

test.each([
  ["no --max-requests", {}, 0.5, null],
  ["no jitter", { maxRequests: 50 }, 0.99, 50],
  ["jitter, lowest", { maxRequests: 50, maxRequestsJitter: 25 }, 0, 50],
  ["jitter, highest", { maxRequests: 50, maxRequestsJitter: 25 }, 0.9999, 75],
  ["jitter, middle", { maxRequests: 50, maxRequestsJitter: 25 }, 0.5, 63],
])("requestLimit: %s", (_name, limits, random, expected) => {
  expect(requestLimit(limits, () => random)).toBe(expected);
});

test("jittered limits spread over [R, R+J]", () => {
  const limits = new Set(
    Array.from({ length: 500 }, () => requestLimit({ maxRequests: 50, maxRequestsJitter: 25 })),
  );
  expect(Math.min(...(limits as Set<number>))).toBe(50);
  expect(Math.max(...(limits as Set<number>))).toBe(75);
  expect(limits.size).toBeGreaterThan(20);
});

test("overLimit: --max-rss in MiB", () => {
  expect(overLimit({}, 10 ** 12)).toBeNull();
  expect(overLimit({ maxRssMb: 100 }, 100 * 1024 * 1024)).toBeNull();
  expect(overLimit({ maxRssMb: 100 }, 101 * 1024 * 1024)).toBe("RSS 101 MiB over --max-rss 100");
});
