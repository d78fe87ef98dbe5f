import { describe, expect, test } from "vitest";
import { removeDotSegments } from "../../../src/middleware/http/dot-segments.js";

describe("removeDotSegments (RFC 3986 §5.2.4, empty segments merged)", () => {
  test.each<[string, string[] | null, boolean?]>([
    ["", [], true],
    ["/", [], true],
    ["/a/b", ["a", "b"], false],
    ["/a//b/", ["a", "b"], true],
    ["/a/./b/.", ["a", "b"], true],
    ["/a/../b", ["b"], false],
    ["/a/b/..", ["a"], true],
    ["/..", null],
    ["/a/../../b", null],
    ["/%2e%2e/x", ["%2e%2e", "x"], false], // escapes are not dots: decoding is the caller's
  ])("%j", (path, segments, directory) => {
    const resolved = removeDotSegments(path);
    if (segments === null) expect(resolved).toBeNull();
    else expect(resolved).toEqual({ segments, directory });
  });
});
