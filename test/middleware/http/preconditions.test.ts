import { describe, expect, test } from "vitest";
import { parseEntityTagList } from "../../../src/middleware/http/entity-tag.js";
import { formatHttpDate } from "../../../src/middleware/http/http-date.js";
import {
  evaluatePreconditions,
  ifRangeHolds,
  type PreconditionResult,
} from "../../../src/middleware/http/preconditions.js";

const LM = 1_700_000_000; // Last-Modified, seconds
const V = { etag: '"v1"', lastModified: LM };
const date = (seconds: number) => formatHttpDate(seconds * 1000);

// Each header's candidate values and whether the condition holds (null: not evaluated, as
// absent or ignored), by RFC 9110 §13.1.1-§13.1.4.
const IF_MATCH: Array<[string | undefined, boolean | null]> = [
  [undefined, null],
  ["*", true],
  ['"v1"', true],
  ['"x", "v1"', true],
  ['W/"v1"', false], // strong comparison
  ['"v2"', false],
  ["garbage", false],
];
const IF_UNMODIFIED_SINCE: Array<[string | undefined, boolean | null]> = [
  [undefined, null],
  [date(LM), true],
  [date(LM + 60), true],
  [date(LM - 60), false],
  ["not a date", null],
];
const IF_NONE_MATCH: Array<[string | undefined, boolean | null]> = [
  [undefined, null],
  ["*", false],
  ['"v1"', false],
  ['W/"v1"', false], // weak comparison
  ['"a", W/"v1"', false],
  ['"v2"', true],
];
const IF_MODIFIED_SINCE: Array<[string | undefined, boolean | null]> = [
  [undefined, null],
  [date(LM), false],
  [date(LM + 60), false],
  [date(LM - 60), true],
  ["not a date", null],
];

/** RFC 9110 §13.2.2, steps 1-4, written out from the text. */
function expected(
  method: string,
  m: boolean | null,
  ius: boolean | null,
  inm: boolean | null,
  ims: boolean | null,
): PreconditionResult {
  const safe = method === "GET" || method === "HEAD";
  if (m !== null) {
    if (!m) return "precondition-failed";
  } else if (ius === false) return "precondition-failed";
  if (inm !== null) {
    if (!inm) return safe ? "not-modified" : "precondition-failed";
  } else if (safe && ims === false) return "not-modified";
  return "proceed";
}

const cases: Array<[string, ...Array<string | undefined>, PreconditionResult]> = [];
for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE"])
  for (const [ifMatch, m] of IF_MATCH)
    for (const [ius, u] of IF_UNMODIFIED_SINCE)
      for (const [inm, n] of IF_NONE_MATCH)
        for (const [ims, s] of IF_MODIFIED_SINCE)
          cases.push([method, ifMatch, ius, inm, ims, expected(method, m, u, n, s)]);

describe("evaluatePreconditions: every combination (RFC 9110 §13.2.2)", () => {
  test(`${cases.length} combinations`, () => {
    const wrong: string[] = [];
    for (const [method, ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince, want] of cases) {
      const got = evaluatePreconditions(
        { method: method as string, ifMatch, ifUnmodifiedSince, ifNoneMatch, ifModifiedSince },
        V,
      );
      if (got !== want)
        wrong.push(
          JSON.stringify({
            method,
            ifMatch,
            ifUnmodifiedSince,
            ifNoneMatch,
            ifModifiedSince,
            want,
            got,
          }),
        );
    }
    expect(wrong).toEqual([]);
  });

  test.each<[string, string, Record<string, string>, PreconditionResult]>([
    // nginx checks If-Unmodified-Since before If-Match; the RFC lets If-Match win.
    [
      "If-Match true beats a failing If-Unmodified-Since",
      "GET",
      { ifMatch: '"v1"', ifUnmodifiedSince: date(LM - 1) },
      "proceed",
    ],
    // nginx wants both to agree; the RFC lets If-None-Match win.
    [
      "If-None-Match true beats a failing If-Modified-Since",
      "GET",
      { ifNoneMatch: '"v2"', ifModifiedSince: date(LM) },
      "proceed",
    ],
    ["If-None-Match false on POST is 412", "POST", { ifNoneMatch: "*" }, "precondition-failed"],
    ["If-Modified-Since is ignored on POST", "POST", { ifModifiedSince: date(LM) }, "proceed"],
    ["a comma inside an opaque-tag", "GET", { ifMatch: '"a,b", "v1"' }, "proceed"],
  ])("%s", (_, method, headers, want) => {
    expect(evaluatePreconditions({ method, ...headers }, V)).toBe(want);
  });

  test("without validators: If-Match fails, dates are ignored, If-None-Match holds", () => {
    const none = {};
    expect(evaluatePreconditions({ method: "GET", ifMatch: '"v1"' }, none)).toBe(
      "precondition-failed",
    );
    expect(evaluatePreconditions({ method: "GET", ifMatch: "*" }, none)).toBe("proceed");
    expect(evaluatePreconditions({ method: "GET", ifUnmodifiedSince: date(0) }, none)).toBe(
      "proceed",
    );
    expect(evaluatePreconditions({ method: "GET", ifModifiedSince: date(LM) }, none)).toBe(
      "proceed",
    );
    expect(evaluatePreconditions({ method: "GET", ifNoneMatch: '"v1"' }, none)).toBe("proceed");
  });
});

describe("ifRangeHolds (RFC 9110 §13.1.5)", () => {
  test.each<[string | undefined, boolean]>([
    [undefined, true],
    ['"v1"', true],
    ['W/"v1"', false],
    ['"v2"', false],
    [date(LM), true],
    [date(LM + 1), false], // only an exact match: send's "earlier is fine" is wrong
    [date(LM - 1), false],
    ["garbage", false],
  ])("%j", (value, holds) => {
    expect(ifRangeHolds(value, V)).toBe(holds);
  });

  test("a weak current ETag never matches", () => {
    expect(ifRangeHolds('W/"v1"', { etag: 'W/"v1"' })).toBe(false);
    expect(ifRangeHolds('"v1"', { etag: 'W/"v1"' })).toBe(false);
  });
});

describe("parseEntityTagList", () => {
  test.each<[string, unknown]>([
    ["*", "*"],
    [
      ' "a" , W/"b",,"c"',
      [
        { weak: false, opaque: '"a"' },
        { weak: true, opaque: '"b"' },
        { weak: false, opaque: '"c"' },
      ],
    ],
    ['"a,b"', [{ weak: false, opaque: '"a,b"' }]],
    ['junk, "a"', [{ weak: false, opaque: '"a"' }]],
    ['"unterminated', []],
    ["", []],
  ])("%j", (value, want) => {
    expect(parseEntityTagList(value)).toEqual(want);
  });
});
