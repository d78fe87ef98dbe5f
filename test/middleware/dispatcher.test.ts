import { describe, expect, test } from "vitest";
import { ContractError } from "../../src/core/errors.js";
import type { Application, Environ } from "../../src/core/types.js";
import { toByteString } from "../../src/core/url.js";
import { dispatcher } from "../../src/middleware/dispatcher.js";
import { inject } from "../../src/testing/inject.js";

/** An app that answers with its name and the SCRIPT_NAME / PATH_INFO it saw. */
function named(name: string): Application {
  return (environ, start) => {
    start("200 OK", [["Content-Type", "application/json"]]);
    const seen = { app: name, script: environ.SCRIPT_NAME, path: environ.PATH_INFO };
    return [Buffer.from(JSON.stringify(seen))];
  };
}

async function seen(app: Application, url: string, environ?: Record<string, unknown>) {
  return (await inject(app, { url, environ })).json();
}

describe("dispatcher", () => {
  const app = dispatcher(named("default"), {
    "/blog": named("blog"),
    "/api": named("api"),
    "/api/v1": named("v1"),
    [toByteString("/café")]: named("cafe"),
  });

  test.each([
    ["/blog", "blog", "/blog", ""],
    ["/blog/", "blog", "/blog", "/"],
    ["/blog/post/1", "blog", "/blog", "/post/1"],
    ["/blogger", "default", "", "/blogger"],
    ["/Blog/x", "default", "", "/Blog/x"],
    ["/api/v1/users", "v1", "/api/v1", "/users"],
    ["/api/v1", "v1", "/api/v1", ""],
    ["/api/v2/users", "api", "/api", "/v2/users"],
    ["/api/v10", "api", "/api", "/v10"],
    ["/", "default", "", "/"],
    ["/other", "default", "", "/other"],
    ["/caf%C3%A9/menu", "cafe", toByteString("/café"), "/menu"],
    ["/blog%2Fx", "blog", "/blog", "/x"],
  ])("%s -> %s sees SCRIPT_NAME %j, PATH_INFO %j", async (url, name, script, path) => {
    expect(await seen(app, url)).toEqual({ app: name, script, path });
  });

  test("an existing SCRIPT_NAME is kept in front of the prefix", async () => {
    const res = await seen(app, "/x", { SCRIPT_NAME: "/site", PATH_INFO: "/blog/a" });
    expect(res).toEqual({ app: "blog", script: "/site/blog", path: "/a" });
  });

  test("the longest prefix wins whatever the order of the mounts", async () => {
    const reversed = dispatcher(named("default"), { "/a/b": named("ab"), "/a": named("a") });
    const forward = dispatcher(named("default"), { "/a": named("a"), "/a/b": named("ab") });
    for (const d of [reversed, forward]) {
      expect(await seen(d, "/a/b/c")).toMatchObject({ app: "ab", path: "/c" });
      expect(await seen(d, "/a/bc")).toMatchObject({ app: "a", path: "/bc" });
    }
  });

  test("nested dispatchers shift one prefix each", async () => {
    const inner = dispatcher(named("inner-default"), { "/v1": named("v1") });
    const outer = dispatcher(named("default"), { "/api": inner });
    expect(await seen(outer, "/api/v1/x")).toEqual({ app: "v1", script: "/api/v1", path: "/x" });
    expect(await seen(outer, "/api/v2")).toEqual({
      app: "inner-default",
      script: "/api",
      path: "/v2",
    });
  });

  test("the caller's environ is not changed; the mounted app gets a copy", async () => {
    let inside: Environ | undefined;
    const spy: Application = (environ, start) => {
      inside = environ;
      return named("spy")(environ, start);
    };
    const environ = { SCRIPT_NAME: "", PATH_INFO: "/m/x", REQUEST_METHOD: "GET" } as Environ;
    dispatcher(named("default"), { "/m": spy })(environ, () => async () => {});
    expect(environ.SCRIPT_NAME).toBe("");
    expect(environ.PATH_INFO).toBe("/m/x");
    expect(inside).not.toBe(environ);
    expect(inside).toMatchObject({ SCRIPT_NAME: "/m", PATH_INFO: "/x", REQUEST_METHOD: "GET" });
  });

  test("the default app gets the environ as it came", async () => {
    let inside: Environ | undefined;
    const spy: Application = (environ, start) => {
      inside = environ;
      return named("spy")(environ, start);
    };
    const environ = { SCRIPT_NAME: "", PATH_INFO: "/z", REQUEST_METHOD: "GET" } as Environ;
    dispatcher(spy, { "/m": named("m") })(environ, () => async () => {});
    expect(inside).toBe(environ);
  });

  test.each([
    ["", "would match every path; pass that app as the default app instead"],
    ["/", "would match every path"],
    ["blog", 'must start with "/" and not end with "/"'],
    ["/blog/", 'must start with "/" and not end with "/"'],
    ["/caf\u00e9\u0101", "is not a byte string; use toByteString()"],
  ])("mount prefix %j is refused", (prefix, message) => {
    expect(() => dispatcher(named("d"), { [prefix]: named("x") })).toThrow(ContractError);
    expect(() => dispatcher(named("d"), { [prefix]: named("x") })).toThrow(message);
  });

  test("a mount that is not an app is refused, naming the prefix", () => {
    expect(() => dispatcher(named("d"), { "/x": "nope" as never })).toThrow(
      'dispatcher: the app mounted at "/x" must be an application function, got string',
    );
    expect(() => dispatcher(undefined as never, {})).toThrow("dispatcher: the default app");
  });
});
