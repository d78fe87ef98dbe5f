import { describe, expect, test } from "vitest";
import {
  negotiateEncoding,
  parseAcceptEncoding,
} from "../../../src/middleware/http/accept-encoding.js";

describe("negotiateEncoding (RFC 9110 §12.5.3) with br and gzip available", () => {
  const available = ["br", "gzip"];
  test.each<[string | undefined, string | null]>([
    [undefined, "identity"],
    ["", "identity"],
    ["gzip", "gzip"],
    ["gzip, br", "br"],
    ["br;q=0.5, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.5", "br"],
    ["gzip;q=0", "identity"],
    ["x-gzip", "gzip"],
    ["GZIP", "gzip"],
    ["*", "br"],
    ["*;q=0.1, gzip;q=0", "br"],
    ["identity", "identity"],
    ["identity;q=1, gzip;q=0.5", "identity"],
    ["gzip;q=0.5, identity;q=0.5", "gzip"],
    ["deflate", "identity"],
    ["*;q=0", null],
    ["identity;q=0", null],
    ["identity;q=0, gzip", "gzip"],
    ["gzip;q=0.001", "gzip"],
    ["gzip;q=2", "identity"],
    ["gzip;q=abc", "identity"],
    ["gzip ; q = 0.8", "gzip"],
    ["gzip;q=0.5, identity;q=0.8", "identity"],
    ["*;q=0.5, gzip;q=0.4", "br"],
  ])("%j", (value, expected) => {
    expect(negotiateEncoding(value, available)).toBe(expected);
  });

  test("the first occurrence of a coding counts", () => {
    expect(parseAcceptEncoding("gzip;q=0, gzip").get("gzip")).toBe(0);
  });
});
