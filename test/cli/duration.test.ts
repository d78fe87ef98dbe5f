import { describe, expect, test } from "vitest";
import { parseDuration } from "../../src/cli/duration.js";

describe("parseDuration", () => {
  test.each([
    ["30", 30_000],
    ["0.5", 500],
    ["500ms", 500],
    ["30s", 30_000],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    [" 7 ", 7000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(["", "0", "0ms", "-1", "1d", "s", "1 s", "1e3", "30sec", "9999999999"])(
    "%j is refused with the forms that work",
    (text) => {
      expect(() => parseDuration(text)).toThrow(/give seconds \(30\), or a number with a unit/);
    },
  );
});
