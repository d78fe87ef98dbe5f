import { describe, expect, test } from "vitest";
import { createRequest, fetchUrl } from "../../src/adapters/fetch-request.js";
import { testEnviron } from "../helpers/environ.js";

function environ(vars: Record<string, string>, body?: string) {
  const source =
    body === undefined
      ? null
      : (async function* () {
          yield Buffer.from(body);
        })();
  return testEnviron(
    { REQUEST_METHOD: "GET", SERVER_NAME: "example.org", SERVER_PORT: "80", ...vars },
    { source },
  );
}

describe("fetchUrl", () => {
  test.each([
    // [meta-variables, URL]
    [
      { HTTP_HOST: "h:8080", REQUEST_URI: "/a?b=1", PATH_INFO: "/a", QUERY_STRING: "b=1" },
      "http://h:8080/a?b=1",
    ],
    [{ REQUEST_URI: "/a%2Fb", PATH_INFO: "/a/b" }, "http://example.org/a%2Fb"],
    [{ REQUEST_URI: "/%FF", PATH_INFO: "/\u00ff" }, "http://example.org/%FF"],
    // no REQUEST_URI: rebuilt from the decoded PATH_INFO, every byte >= 0x80 escaped by tsgi
    [{ PATH_INFO: "/caf\u00c3\u00a9 x" }, "http://example.org/caf%C3%A9%20x"],
    [{ PATH_INFO: "/\u00e9" }, "http://example.org/%E9"],
    // a raw byte >= 0x80 in REQUEST_URI (a client that did not escape it)
    [
      { REQUEST_URI: "/\u00ff?q=\u00e9", PATH_INFO: "/\u00ff", QUERY_STRING: "q=\u00e9" },
      "http://example.org/%FF?q=%E9",
    ],
    // dot segments, upper-case hosts and default ports go through the URL parser, as natively
    [{ REQUEST_URI: "/a/../b", PATH_INFO: "/b" }, "http://example.org/b"],
    [{ REQUEST_URI: "/a/%2e%2e/b", PATH_INFO: "/b" }, "http://example.org/b"],
    [{ HTTP_HOST: "Example.ORG:80", REQUEST_URI: "/", PATH_INFO: "/" }, "http://example.org/"],
    [{ SERVER_PORT: "8443", HTTPS: "on", PATH_INFO: "/s" }, "https://example.org:8443/s"],
    [{ SERVER_PORT: "443", HTTPS: "on", PATH_INFO: "/s" }, "https://example.org/s"],
    // the mount is part of the URL: the handler sees the path the client sent
    [{ REQUEST_URI: "/app/x", SCRIPT_NAME: "/app", PATH_INFO: "/x" }, "http://example.org/app/x"],
    [{ REQUEST_URI: "/app/", SCRIPT_NAME: "/app", PATH_INFO: "/" }, "http://example.org/app/"],
    // nginx's stock fastcgi_params: the whole path in SCRIPT_NAME, no PATH_INFO
    [
      { REQUEST_URI: "/json?q=1", SCRIPT_NAME: "/json", PATH_INFO: "", QUERY_STRING: "q=1" },
      "http://example.org/json?q=1",
    ],
    [{ REQUEST_URI: "/", SCRIPT_NAME: "/", PATH_INFO: "" }, "http://example.org/"],
  ])("%j -> %s", (vars, url) => {
    const env = environ(vars as Record<string, string>);
    expect(fetchUrl(env)).toBe(url);
    // the lazy URL and the real Request's agree
    const request = createRequest(env);
    expect(request.url).toBe(url);
    expect(new Request(request.url).url).toBe(url);
  });
});

describe("createRequest", () => {
  test("is a Request, answers method, url and headers without a real Request", () => {
    const request = createRequest(
      environ({ PATH_INFO: "/p", HTTP_X_FOO_BAR: "1", CONTENT_TYPE: "text/plain" }),
    );
    expect(request).toBeInstanceOf(Request);
    expect(request.method).toBe("GET");
    expect(request.headers.get("x-foo-bar")).toBe("1");
    expect(request.headers.get("content-type")).toBe("text/plain");
    expect(Object.getOwnPropertySymbols(request).map(String)).not.toContain("Symbol(tsgi.request)");
  });

  test("its body streams tsgi.input; text(), json(), bodyUsed and clone() work", async () => {
    const vars = { REQUEST_METHOD: "POST", CONTENT_LENGTH: "9", CONTENT_TYPE: "application/json" };
    const request = createRequest(environ(vars, '{"a":[1]}'));
    expect(request.bodyUsed).toBe(false);
    const copy = request.clone();
    expect(await request.json()).toEqual({ a: [1] });
    expect(request.bodyUsed).toBe(true);
    expect(await copy.text()).toBe('{"a":[1]}');
    await expect(request.text()).rejects.toThrow(TypeError);
  });

  test("the body is read from tsgi.input only as the reader asks (pull)", async () => {
    let produced = 0;
    const source = (async function* () {
      for (let i = 0; i < 100; i++) {
        produced++;
        yield new Uint8Array(1000);
      }
    })();
    const env = testEnviron(
      { REQUEST_METHOD: "PUT", PATH_INFO: "/", SERVER_NAME: "h", SERVER_PORT: "80" },
      { source, bodyWithoutLength: "until-end" },
    );
    const reader = (createRequest(env).body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(produced).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  test("GET and HEAD have no body", () => {
    expect(createRequest(environ({ PATH_INFO: "/" })).body).toBeNull();
    expect(createRequest(environ({ REQUEST_METHOD: "HEAD", PATH_INFO: "/" })).body).toBeNull();
  });

  test("signal fires when tsgi.signal does, before and after the real Request is made", () => {
    const controller = new AbortController();
    const lazy = createRequest(testEnviron({ PATH_INFO: "/" }, { signal: controller.signal }));
    const made = createRequest(testEnviron({ PATH_INFO: "/" }, { signal: controller.signal }));
    void made.cache; // makes the real Request
    expect(lazy.signal.aborted).toBe(false);
    controller.abort(new Error("client left"));
    expect(lazy.signal.aborted).toBe(true);
    expect(made.signal.aborted).toBe(true);
  });
});
