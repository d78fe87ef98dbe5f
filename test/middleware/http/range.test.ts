import { describe, expect, test } from "vitest";
import { coalesce, contentRange, parseRange } from "../../../src/middleware/http/range.js";

const r = (...pairs: Array<[number, number]>) => ({
  kind: "ranges",
  ranges: pairs.map(([start, end]) => ({ start, end })),
});
const IGNORE = { kind: "ignore" };
const UNSAT = { kind: "unsatisfiable" };

describe("parseRange (RFC 9110 §14.1.1, §14.2) on a 10-byte representation", () => {
  test.each([
    ["bytes=0-0", r([0, 0])],
    ["bytes=0-4", r([0, 4])],
    ["bytes=5-", r([5, 9])],
    ["bytes=5-100", r([5, 9])],
    ["bytes=-3", r([7, 9])],
    // An oversized suffix selects the whole representation, never a 416 (send, range-parser 1.x).
    ["bytes=-1000", r([0, 9])],
    ["BYTES=1-2", r([1, 2])],
    [" bytes = 1-2 ", r([1, 2])],
    ["bytes=1-2, ,4-5,", r([1, 2], [4, 5])],
    // Coalesced: overlapping and adjacent ranges merge, whatever the order.
    ["bytes=0-2,1-3", r([0, 3])],
    ["bytes=4-5,0-1", r([4, 5], [0, 1])],
    ["bytes=8-9,0-1,1-3", r([8, 9], [0, 3])],
    ["bytes=0-1,2-3", r([0, 3])],
    // Unsatisfiable ones are dropped when another one is satisfiable.
    ["bytes=0-1,20-30", r([0, 1])],
    ["bytes=10-", UNSAT],
    ["bytes=10-20", UNSAT],
    ["bytes=-0", UNSAT],
    ["bytes=20-,30-", UNSAT],
    // Invalid: ignored (nginx answers 416).
    ["bytes=abc", IGNORE],
    ["bytes=5-2", IGNORE],
    ["bytes=1-2,5-2", IGNORE],
    ["bytes=-", IGNORE],
    ["bytes=", IGNORE],
    ["bytes=1", IGNORE],
    ["bytes=--1", IGNORE],
    ["bytes=+1-2", IGNORE],
    ["bytes=1-2-3", IGNORE],
    ["items=0-1", IGNORE],
    ["0-1", IGNORE],
    ["", IGNORE],
    ["bytes=0x1-2", IGNORE],
    ["bytes=99999999999999999999999-", IGNORE],
    // More bytes asked for than there are: served whole (what nginx does; §14.2 allows it).
    ["bytes=0-9,0-9", IGNORE],
    ["bytes=-6,0-5", IGNORE],
  ])("%j", (value, expected) => {
    expect(parseRange(value, 10)).toEqual(expected);
  });

  test("an empty representation: nothing is satisfiable", () => {
    expect(parseRange("bytes=0-", 0)).toEqual(UNSAT);
    expect(parseRange("bytes=-5", 0)).toEqual(UNSAT);
  });

  test("more ranges than maxRanges: served whole", () => {
    const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 2}-${i * 2}`).join(",")}`;
    expect(parseRange(many, 100)).toEqual(IGNORE);
    expect(parseRange(many, 100, { maxRanges: 17 }).kind).toBe("ranges");
  });

  test("a huge end position is clamped to the representation", () => {
    expect(parseRange("bytes=3-999999999999999", 10)).toEqual(r([3, 9]));
  });
});

describe("coalesce / contentRange", () => {
  test("merges, keeping the request's order", () => {
    expect(
      coalesce([
        { start: 8, end: 9 },
        { start: 0, end: 3 },
        { start: 2, end: 5 },
      ]),
    ).toEqual([
      { start: 8, end: 9 },
      { start: 0, end: 5 },
    ]);
  });
  test("Content-Range", () => {
    expect(contentRange({ start: 0, end: 9 }, 10)).toBe("bytes 0-9/10");
  });
});
