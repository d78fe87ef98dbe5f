import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Application, Environ } from "../../src/core/types.js";
import { type RouteMatch, Router } from "../../src/middleware/router.js";
import { normalise } from "../../src/middleware/router-dispatch.js";
import { inject } from "../../src/testing/inject.js";

/** An app that answers with its name, the route it matched and the paths it saw. */
function named(name: string): Application {
  return (environ, start) => {
    const route = environ["tsgi.route"] as RouteMatch | undefined;
    const seen = {
      app: name,
      params: route?.params,
      script: environ.SCRIPT_NAME,
      path: environ.PATH_INFO,
    };
    const body = Buffer.from(JSON.stringify(seen));
    start("200 OK", [
      ["Content-Type", "application/json"],
      ["Content-Length", String(body.length)],
    ]);
    return [body];
  };
}

const router = new Router()
  .get("/", named("home"), { name: "home" })
  .get("/users", named("users"))
  .post("/users", named("create"))
  .get("/users/:id(int)", named("user"), { name: "user" })
  .put("/users/:id(int)", named("update"))
  .get("/users/:name", named("user-by-name"))
  .get("/files/:rest(path)", named("file"), { name: "file" })
  .get("/d/:a-:b", named("dash"))
  .get("/items/:id(uuid)", named("item"))
  .get("/dir/", named("dir"))
  .get("/caf\u00e9/:x", named("cafe"), { name: "cafe" })
  .all("/any", named("any"))
  .mount("/static", named("static"), { name: "static" });

describe("Router: matching", () => {
  test.each([
    ["GET", "/", "home", {}],
    ["GET", "/users", "users", {}],
    ["POST", "/users", "create", {}],
    ["GET", "/users/42", "user", { id: 42 }],
    ["PUT", "/users/42", "update", { id: 42 }],
    ["GET", "/users/ada", "user-by-name", { name: "ada" }],
    ["GET", "/users/4x2", "user-by-name", { name: "4x2" }],
    ["GET", "/users/99999999999999999999", "user-by-name", { name: "99999999999999999999" }],
    ["GET", "/files/a/b/c.txt", "file", { rest: "a/b/c.txt" }],
    ["GET", "/d/x-y", "dash", { a: "x", b: "y" }],
    ["GET", "/d/x-y-z", "dash", { a: "x", b: "y-z" }],
    [
      "GET",
      "/items/0F8FAD5B-D9CB-469F-A165-70867728950E",
      "item",
      { id: "0f8fad5b-d9cb-469f-a165-70867728950e" },
    ],
    ["GET", "/dir/", "dir", {}],
    ["GET", "/caf%C3%A9/cr%C3%A8me", "cafe", { x: "crème" }],
    ["DELETE", "/any", "any", {}],
    ["PATCH", "/any", "any", {}],
  ])("%s %s -> %s %j", async (method, url, app, params) => {
    const res = await inject(router, { method, url });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ app, params });
  });

  test.each([
    ["/users/"],
    ["/nope"],
    ["/files/"],
    ["/d/xy"],
    ["/d/-y"],
    ["/items/not-a-uuid"],
    ["/users/42/x"],
  ])("GET %s -> 404 or a redirect, never a wrong route", async (url) => {
    const res = await inject(router, { url });
    expect([301, 404]).toContain(res.statusCode);
  });

  test("the route's name and pattern are in tsgi.route; the caller's environ is untouched", async () => {
    let seen: RouteMatch | undefined;
    const spy: Application = (environ, start) => {
      seen = environ["tsgi.route"] as RouteMatch;
      start("204 No Content", []);
      return [];
    };
    const r = new Router().get("/u/:id(int)", spy, { name: "u" });
    const environ = { REQUEST_METHOD: "GET", PATH_INFO: "/u/7", SCRIPT_NAME: "" } as Environ;
    await r(environ, () => async () => {});
    expect(seen).toEqual({ name: "u", pattern: "/u/:id(int)", params: { id: 7 } });
    expect(environ["tsgi.route"]).toBeUndefined();
  });

  test("a mount moves its prefix to SCRIPT_NAME, for every method, at a segment boundary", async () => {
    expect((await inject(router, { url: "/static/css/a.css" })).json()).toMatchObject({
      app: "static",
      script: "/static",
      path: "/css/a.css",
    });
    expect((await inject(router, { method: "POST", url: "/static" })).json()).toMatchObject({
      app: "static",
      path: "",
    });
    expect((await inject(router, { url: "/staticx" })).statusCode).toBe(404);
    const res = await inject(router, { url: "/static/x", environ: { SCRIPT_NAME: "/site" } });
    expect(res.json()).toMatchObject({ script: "/site/static", path: "/x" });
  });

  test("routes are tried in the order added", async () => {
    const r = new Router().get("/a/:x", named("param")).get("/a/b", named("literal"));
    expect((await inject(r, { url: "/a/b" })).json()).toMatchObject({ app: "param" });
  });

  test("notFound gets the requests no route takes", async () => {
    const r = new Router({ notFound: named("fallback") }).get("/", named("home"));
    expect((await inject(r, { url: "/x" })).json()).toMatchObject({ app: "fallback" });
  });
});

describe("Router: methods", () => {
  test.each([
    ["DELETE", "/users", "GET, HEAD, POST"],
    ["POST", "/users/42", "GET, HEAD, PUT"],
    ["POST", "/", "GET, HEAD"],
  ])("%s %s -> 405 with Allow: %s", async (method, url, allow) => {
    const res = await inject(router, { method, url });
    expect(res.statusCode).toBe(405);
    expect(res.header("allow")).toBe(allow);
  });

  test("HEAD is served by the GET route, with its headers and no body", async () => {
    const res = await inject(router, { method: "HEAD", url: "/users/42" });
    expect(res.statusCode).toBe(200);
    expect(res.body.length).toBe(0);
    expect(Number(res.header("content-length"))).toBeGreaterThan(0);
  });

  test("an explicit HEAD route wins over GET", async () => {
    const r = new Router().get("/x", named("get")).head("/x", named("head"));
    const res = await inject(r, { method: "HEAD", url: "/x" });
    expect(res.body.toString()).toContain('"head"');
  });
});

describe("Router: slash redirects", () => {
  test.each([
    ["GET", "/dir?a=1&b=%20", "301 Moved Permanently", "/dir/?a=1&b=%20"],
    ["HEAD", "/dir", "301 Moved Permanently", "/dir/"],
    ["POST", "/users/?x=1", "308 Permanent Redirect", "/users?x=1"],
    ["GET", "/users/42/", "301 Moved Permanently", "/users/42"],
  ])("%s %s -> %s to %s", async (method, url, status, location) => {
    const res = await inject(router, { method, url });
    expect(res.status).toBe(status);
    expect(res.header("location")).toBe(location);
  });

  test("the redirect keeps SCRIPT_NAME and percent-encodes the path", async () => {
    const r = new Router().get("/caf\u00e9/", named("x"));
    const res = await inject(r, { url: "/caf%C3%A9", environ: { SCRIPT_NAME: "/my app" } });
    expect(res.header("location")).toBe("/my%20app/caf%C3%A9/");
  });

  test("redirectSlashes: false answers 404", async () => {
    const r = new Router({ redirectSlashes: false }).get("/dir/", named("x"));
    expect((await inject(r, { url: "/dir" })).statusCode).toBe(404);
  });
});

describe("Router: one path for the guard and the file resolver", () => {
  // A guard on /admin (a mount and a route), everything else to a catch-all that would
  // normalise the path as a file resolver does.
  const guarded = new Router()
    .mount("/admin", named("guard"))
    .get("/private", named("private-guard"))
    .mount("/files", named("files"))
    .all("/:rest(path)", named("catch-all"));

  test.each([
    ["//admin", "/admin"],
    ["/./admin", "/admin"],
    ["/x/../admin", "/admin"],
    ["/x/../admin/secret", "/admin/secret"],
    ["/admin/./secret", "/admin/secret"],
    ["//admin//secret", "/admin/secret"],
    ["/admin%2F..%2Fadmin/secret", "/admin/secret"],
    ["/x/%2E%2E/admin", "/admin"],
    ["/files/../admin", "/admin"],
    ["/.//private", "/private"],
  ])("%s is redirected to %s, never routed past the guard", async (url, location) => {
    const res = await inject(guarded, { url });
    expect(res.statusCode).toBe(301);
    expect(res.header("location")).toBe(location);
  });

  test.each([["/.."], ["/../admin"], ["/x/../../admin"], ["/%2E%2E/admin"]])(
    "%s climbs above the root -> 400",
    async (url) => {
      expect((await inject(guarded, { url })).statusCode).toBe(400);
    },
  );

  test("/admin/ and /admin%2Fx reach the guard (PATH_INFO is decoded once, by the gateway)", async () => {
    expect((await inject(guarded, { url: "/admin/" })).json()).toMatchObject({ app: "guard" });
    expect((await inject(guarded, { url: "/admin%2Fx" })).json()).toMatchObject({
      app: "guard",
      path: "/x",
    });
  });

  test("a redirect never starts with // (no open redirect)", async () => {
    const res = await inject(guarded, { url: "//evil.example/x/.." });
    expect(res.header("location")).toBe("/evil.example/");
  });

  test.each([
    ["/a//b", "/a/b"],
    ["/a/./b/", "/a/b/"],
    ["/a/b/..", "/a/"],
    ["/a/b/.", "/a/b/"],
    ["/", "/"],
    ["/..", null],
    ["", ""],
  ])("normalise(%j) = %j", (path, expected) => {
    expect(normalise(path)).toBe(expected);
  });
});

describe("Router: url building", () => {
  test.each([
    ["home", {}, "/"],
    ["user", { id: 7 }, "/users/7"],
    ["file", { rest: "a b/c?.txt" }, "/files/a%20b/c%3F.txt"],
    ["cafe", { x: "100%/x".replace("/", "") }, "/caf%C3%A9/100%25x"],
    ["static", {}, "/static"],
  ])("url(%s, %j) = %s", (name, params, url) => {
    expect(router.url(name, params)).toBe(url);
  });

  test("a query is appended, encoded", () => {
    expect(router.url("user", { id: 1 }, { q: "a&b", n: "1" })).toBe("/users/1?q=a%26b&n=1");
  });

  test.each([
    ["user", { id: "x" }, /non-negative integer/],
    ["user", { id: -1 }, /non-negative integer/],
    ["user", {}, /needs parameter "id"/],
    ["file", { rest: "../etc/passwd" }, /not a valid path/],
    ["cafe", { x: "a/b" }, /not a valid string/],
    ["cafe", { x: ".." }, /not a valid string/],
    ["nope", {}, /no route named "nope"/],
  ])("url(%s, %j) throws", (name, params, message) => {
    expect(() => router.url(name, params)).toThrow(message);
  });

  test("any text built into a URL routes back to the same param (fast-check)", async () => {
    const r = new Router()
      .get("/t/:x", named("t"), { name: "t" })
      .get("/p/:rest(path)", named("p"), { name: "p" });
    const segment = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
      .filter((t) => !t.includes("/") && t !== "." && t !== "..");
    await fc.assert(
      fc.asyncProperty(
        segment,
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        async (x, parts) => {
          expect((await inject(r, { url: r.url("t", { x }) })).json()).toMatchObject({
            app: "t",
            params: { x },
          });
          const rest = parts.join("/");
          expect((await inject(r, { url: r.url("p", { rest }) })).json()).toMatchObject({
            app: "p",
            params: { rest },
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a built URL routes back to its route with the same params", async () => {
    const url = router.url("cafe", { x: "a b&c" });
    expect((await inject(router, { url })).json()).toMatchObject({
      app: "cafe",
      params: { x: "a b&c" },
    });
  });
});

describe("Router: definitions", () => {
  test.each([
    ["users", /must start with "\/"/],
    ["/:a:b", /literal between/],
    ["/:a/:a", /repeats/],
    ["/:x(float)", /unknown parameter type/],
    ["/:rest(path)/x", /whole last segment/],
  ])("pattern %s is refused", (pattern, message) => {
    expect(() => new Router().get(pattern, named("x"))).toThrow(message);
  });

  test("two routes with one name are refused", () => {
    expect(() =>
      new Router().get("/a", named("a"), { name: "n" }).get("/b", named("b"), { name: "n" }),
    ).toThrow(/two routes/);
  });
});

describe("Router: matching is linear (path-to-regexp ReDoS inputs)", () => {
  const long = `/${"a-".repeat(25_000)}`; // a 50k-char segment of "a-a-a-..."
  test.each([
    ["/:a-:b", long],
    ["/:a-:b-:c", long],
    ["/:a-:b/x", `${long}/y`],
    ["/:a.:b", `/${"a.".repeat(25_000)}`],
    ["/:a-:b(int)", long],
  ])("%s against a 50k-char path completes", async (pattern, url) => {
    const r = new Router().get(pattern, named("x"));
    const res = await inject(r, { url });
    expect([200, 404]).toContain(res.statusCode);
  });

  test("a 50k-segment path completes", async () => {
    const r = new Router().get("/:rest(path)", named("x")).get("/a/:b/c", named("y"));
    const res = await inject(r, { url: "/a".repeat(50_000) });
    expect(res.statusCode).toBe(200);
  });
});
