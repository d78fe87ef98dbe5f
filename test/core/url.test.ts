import { describe, expect, test } from "vitest";
import type { Environ } from "../../src/core/types.js";
import {
  applicationUrl,
  decodeUtf8,
  quoteBytes,
  requestUrl,
  shiftPathInfo,
  toByteString,
  unquoteToBytes,
} from "../../src/core/url.js";
import { testEnviron } from "../helpers/environ.js";

const environ = (vars: Record<string, string>): Environ => testEnviron(vars);

describe("byte strings", () => {
  test.each(["", "hello", "caf\u00e9", "\u65e5\u672c", "\u{1f600}", "a\u0000b"])(
    "toByteString/decodeUtf8 round trip %j",
    (text) => {
      const bytes = toByteString(text);
      expect([...bytes].every((char) => char.charCodeAt(0) <= 0xff)).toBe(true);
      expect(bytes).toBe(Buffer.from(text, "utf8").toString("latin1"));
      expect(decodeUtf8(bytes)).toBe(text);
    },
  );

  test("é is two bytes", () => {
    expect(toByteString("\u00e9")).toBe("\u00c3\u00a9");
    expect(decodeUtf8("\u00c3\u00a9")).toBe("\u00e9");
  });

  test.each([
    ["/a%20b", "/a b"],
    ["/a%2Fb%FF", "/a/b\u00ff"],
    ["/%e2%82%ac", "/\u00e2\u0082\u00ac"],
    ["/100%", "/100%"],
    ["/%zz%4", "/%zz%4"],
    ["/plain", "/plain"],
  ])("unquoteToBytes(%j) -> %j", (input, output) => {
    expect(unquoteToBytes(input)).toBe(output);
  });

  test.each([
    ["/a b", "/a%20b"],
    ["/\u00ff", "/%FF"],
    ["/a?b#c", "/a%3Fb%23c"],
    ["/100%", "/100%25"],
    ["/a-b_c.d~e/f:g@h", "/a-b_c.d~e/f:g@h"],
    ["/\u00e2\u0082\u00ac", "/%E2%82%AC"],
    ["\n", "%0A"],
  ])("quoteBytes(%j) -> %j", (input, output) => {
    expect(quoteBytes(input)).toBe(output);
  });

  test("quoteBytes undoes unquoteToBytes", () => {
    const path = "/x y/\u00ff%/?#";
    expect(unquoteToBytes(quoteBytes(path))).toBe(path);
  });
});

describe("URL reconstruction (PEP 3333)", () => {
  test.each([
    // [vars, application URL, request URL]
    [{ SERVER_NAME: "example.org", SERVER_PORT: "80" }, "http://example.org", "http://example.org"],
    [
      { SERVER_NAME: "example.org", SERVER_PORT: "8080", SCRIPT_NAME: "/app", PATH_INFO: "/x" },
      "http://example.org:8080/app",
      "http://example.org:8080/app/x",
    ],
    [
      { HTTPS: "on", SERVER_NAME: "example.org", SERVER_PORT: "443" },
      "https://example.org",
      "https://example.org",
    ],
    [
      { HTTPS: "on", SERVER_NAME: "example.org", SERVER_PORT: "80" },
      "https://example.org:80",
      "https://example.org:80",
    ],
    [
      { SERVER_NAME: "example.org", SERVER_PORT: "443" },
      "http://example.org:443",
      "http://example.org:443",
    ],
    [
      { HTTP_HOST: "host.test:9000", SERVER_NAME: "ignored", SERVER_PORT: "1", PATH_INFO: "/p" },
      "http://host.test:9000",
      "http://host.test:9000/p",
    ],
    [
      { SCRIPT_NAME: "/a b", PATH_INFO: "/\u00ff", QUERY_STRING: "q=1&r=%20" },
      "http://localhost/a%20b",
      "http://localhost/a%20b/%FF?q=1&r=%20",
    ],
  ] as Array<[Record<string, string>, string, string]>)("%j", (vars, app, request) => {
    const env = environ(vars);
    expect(applicationUrl(env)).toBe(app);
    expect(requestUrl(env)).toBe(request);
  });

  test("requestUrl without the query", () => {
    const env = environ({ PATH_INFO: "/p", QUERY_STRING: "a=1" });
    expect(requestUrl(env)).toBe("http://localhost/p?a=1");
    expect(requestUrl(env, false)).toBe("http://localhost/p");
  });
});

describe("shiftPathInfo", () => {
  // Expected values are what Python's wsgiref.util.shift_path_info returns for the same input.
  test.each([
    // [SCRIPT_NAME, PATH_INFO, returned, SCRIPT_NAME after, PATH_INFO after]
    ["", "/a/b", "a", "/a", "/b"],
    ["/a", "/b", "b", "/a/b", ""],
    ["", "/a/", "a", "/a", "/"],
    ["", "/", "", "/", ""],
    ["/x", "/", "", "/x/", ""],
    ["", "", null, "", ""],
    ["", "//a//b", "a", "/a", "/b"],
    ["", "/..", "..", "", ""],
    ["/x", "/..", "..", "", ""],
    ["/x/y", "/../z", "..", "/x", "/z"],
    ["", "/.", null, "", ""],
    ["", "/./a", "a", "/a", ""],
    ["", "/a/./b/", "a", "/a", "/b/"],
    ["/s", "/a", "a", "/s/a", ""],
    ["", "/a/../b", "a", "/a", "/../b"],
  ] as Array<[string, string, string | null, string, string]>)(
    "SCRIPT_NAME %j PATH_INFO %j -> %j, %j, %j",
    (script, path, name, scriptAfter, pathAfter) => {
      const env = environ({ SCRIPT_NAME: script, PATH_INFO: path });
      expect(shiftPathInfo(env)).toBe(name);
      expect(env.SCRIPT_NAME).toBe(scriptAfter);
      expect(env.PATH_INFO).toBe(pathAfter);
    },
  );

  test("shifting until null walks the whole path", () => {
    const env = environ({ SCRIPT_NAME: "", PATH_INFO: "/a/b/c" });
    const names: Array<string | null> = [];
    for (let name = shiftPathInfo(env); name !== null; name = shiftPathInfo(env)) names.push(name);
    expect(names).toEqual(["a", "b", "c"]);
    expect(env.SCRIPT_NAME).toBe("/a/b/c");
  });
});
