import { describe, expect, test } from "vitest";
import { formatHttpDate, parseHttpDate } from "../../../src/middleware/http/http-date.js";

const T = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;

describe("HTTP-date (RFC 9110 §5.6.7)", () => {
  test("formats IMF-fixdate and drops milliseconds", () => {
    expect(formatHttpDate(T * 1000 + 999)).toBe("Sun, 06 Nov 1994 08:49:37 GMT");
  });

  test.each([
    ["Sun, 06 Nov 1994 08:49:37 GMT", T],
    ["Sunday, 06-Nov-94 08:49:37 GMT", T],
    ["Sun Nov  6 08:49:37 1994", T],
    [" Sun, 06 Nov 1994 08:49:37 GMT ", T],
    ["Sun, 06 Nov 1994 08:49:37 UTC", undefined],
    ["Sun, 6 Nov 1994 08:49:37 GMT", undefined],
    ["Sun, 06 nov 1994 08:49:37 GMT", undefined],
    ["Sun, 31 Feb 1994 08:49:37 GMT", undefined],
    ["Sun, 06 Nov 1994 24:49:37 GMT", undefined],
    ["1994-11-06T08:49:37Z", undefined],
    ["784111777", undefined],
    ["", undefined],
  ])("%j", (text, expected) => {
    expect(parseHttpDate(text)).toBe(expected);
  });

  test("round trip", () => {
    const now = Math.floor(Date.now() / 1000);
    expect(parseHttpDate(formatHttpDate(now * 1000))).toBe(now);
  });
});
