import { describe, expect, test } from "vitest";
import { requestHeaders, requestLine } from "../../src/adapters/request-line.js";
import { testEnviron } from "../helpers/environ.js";

function line(vars: Record<string, string | undefined>) {
  const defined = Object.entries(vars).filter(
    (pair): pair is [string, string] => pair[1] !== undefined,
  );
  return requestLine(testEnviron(Object.fromEntries(defined)));
}

describe("requestLine", () => {
  test.each([
    // [REQUEST_URI, SCRIPT_NAME, PATH_INFO, QUERY_STRING, target, mount]
    ["/users/7?x=1", "", "/users/7", "x=1", "/users/7?x=1", ""],
    ["/app/users/7?x=1", "/app", "/users/7", "x=1", "/users/7?x=1", "/app"],
    ["/app", "/app", "", "", "/", "/app"],
    ["/app?q", "/app", "", "q", "/?q", "/app"],
    ["/a%70p/x", "/app", "/x", "", "/x", "/a%70p"],
    ["/app/a%2Fb", "/app", "/a/b", "", "/a%2Fb", "/app"],
    ["/app/%FF", "/app", "/\u00ff", "", "/%FF", "/app"],
    ["/files/../index.js", "", "/index.js", "", "/files/../index.js", ""],
    ["/a//b/./c", "", "/a/b/c", "", "/a//b/./c", ""],
    ["/%252e%252e", "", "/%2e%2e", "", "/%252e%252e", ""],
    // Apache with AllowEncodedSlashes NoDecode: PATH_INFO keeps %2F as sent
    ["/app/raw/a%2Fb/c", "/app", "/raw/a%2Fb/c", "", "/raw/a%2Fb/c", "/app"],
  ])("%s with SCRIPT_NAME %j keeps the raw target", (uri, sn, pi, qs, target, mount) => {
    expect(line({ REQUEST_URI: uri, SCRIPT_NAME: sn, PATH_INFO: pi, QUERY_STRING: qs })).toEqual({
      target,
      mount,
    });
  });

  test.each([
    // a rewrite: the raw URI does not decode to SCRIPT_NAME + PATH_INFO
    ["/pretty", "/index.cgi", "/real", "a=1", "/real?a=1", "/index.cgi"],
    ["/old/x", "", "/new/x", "", "/new/x", ""],
    // SCRIPT_NAME must end at a segment boundary of the raw path
    ["/apple/x", "/app", "/le/x", "", "/le/x", "/app"],
    // no REQUEST_URI (a CGI server that does not send it): rebuilt, bytes encoded
    [undefined, "/cgi-bin/app", "/a b/\u00ff/%", "q=%20", "/a%20b/%FF/%25?q=%20", "/cgi-bin/app"],
    [undefined, "", "", "", "/", ""],
  ])("%s with SCRIPT_NAME %j is rebuilt from PATH_INFO", (uri, sn, pi, qs, target, mount) => {
    expect(line({ REQUEST_URI: uri, SCRIPT_NAME: sn, PATH_INFO: pi, QUERY_STRING: qs })).toEqual({
      target,
      mount,
    });
  });
});

describe("requestHeaders", () => {
  test("HTTP_* become lower-case names with dashes; CONTENT_* are headers again", () => {
    const environ = testEnviron({
      HTTP_HOST: "example.org",
      HTTP_X_FOO_BAR: "1",
      HTTP_COOKIE: "a=1; b=2",
      HTTP_CONTENT_TYPE: "ignored/copy",
      HTTP_CONTENT_LENGTH: "999",
      CONTENT_TYPE: "application/json",
      CONTENT_LENGTH: "2",
      HTTP_PROXY: "",
    });
    // Flat, as Node's rawHeaders.
    expect(requestHeaders(environ)).toEqual([
      ...["host", "example.org"],
      ...["x-foo-bar", "1"],
      ...["cookie", "a=1; b=2"],
      ...["content-type", "application/json"],
      ...["content-length", "2"],
    ]);
  });

  test("a non-empty HTTP_PROXY is a header the client sent", () => {
    const raw = requestHeaders(testEnviron({ HTTP_PROXY: "x" }));
    expect(raw[raw.indexOf("proxy") + 1]).toBe("x");
  });
});
