import { describe, expect, test } from "vitest";
import { inject } from "../../src/testing/inject.js";
import { deleteCookieValue, parseCookies, setCookieValue } from "../../src/wrappers/cookies.js";
import { HeaderList } from "../../src/wrappers/headers.js";
import { Response } from "../../src/wrappers/response.js";

describe("Response: an app", () => {
  test.each([
    ["a string", "héllo", "héllo", "6"],
    ["bytes", new Uint8Array([104, 105]), "hi", "2"],
    ["nothing", null, "", "0"],
  ])("%s: sent with its Content-Length", async (_, body, text, length) => {
    const res = await inject(new Response(body as never));
    expect(res.text()).toBe(text);
    expect(res.header("content-length")).toBe(length);
  });

  test("a string body defaults to text/plain; charset=utf-8, an explicit type is kept", async () => {
    expect((await inject(new Response("x"))).header("content-type")).toBe(
      "text/plain; charset=utf-8",
    );
    const html = new Response("<p>", { headers: { "content-type": "text/html" } });
    expect(
      (await inject(html)).headers.filter(([n]) => n.toLowerCase() === "content-type"),
    ).toEqual([["content-type", "text/html"]]);
  });

  test("iterables and async iterables of strings or bytes stream without a Content-Length", async () => {
    async function* gen() {
      yield "a";
      yield new Uint8Array([98]);
    }
    for (const body of [["a", "b"], gen()]) {
      const res = await inject(new Response(body));
      expect(res.text()).toBe("ab");
      expect(res.header("content-length")).toBeUndefined();
    }
  });

  test("the body's close() is passed on to the gateway", async () => {
    let closed = 0;
    const body = {
      *[Symbol.iterator]() {
        yield "x";
      },
      close: () => {
        closed++;
      },
    };
    await inject(new Response(body));
    expect(closed).toBe(1);
  });

  test("status, reason, headers; 204 and 304 get no Content-Length", async () => {
    const res = await inject(
      new Response(null, {
        status: 204,
        headers: [
          ["X-A", "1"],
          ["X-A", "2"],
        ],
      }),
    );
    expect(res.status).toBe("204 No Content");
    expect(res.headers).toEqual([
      ["X-A", "1"],
      ["X-A", "2"],
    ]);
    expect((await inject(new Response(null, { status: 418, statusText: "Short" }))).status).toBe(
      "418 Short",
    );
    expect(() => new Response(null, { status: 42 })).toThrow(/three-digit/);
  });

  test("Response.json and Response.redirect", async () => {
    const json = await inject(Response.json({ a: 1 }, { status: 201 }));
    expect([json.status, json.header("content-type"), json.text()]).toEqual([
      "201 Created",
      "application/json",
      '{"a":1}',
    ]);
    const moved = await inject(Response.redirect("/there", 303));
    expect([moved.status, moved.header("location")]).toEqual(["303 See Other", "/there"]);
  });

  test("a Response serves every request it is given", async () => {
    const res = new Response("same");
    expect((await inject(res)).text()).toBe("same");
    expect((await inject(res, { url: "/other" })).text()).toBe("same");
    expect(res).toBeInstanceOf(Response);
    expect(typeof res).toBe("function");
  });
});

describe("cookies", () => {
  test("setCookie has safe defaults: Path=/, HttpOnly, SameSite=Lax; values are encoded", async () => {
    const res = new Response("x").setCookie("theme", "dark mode");
    expect(res.headers.getAll("set-cookie")).toEqual([
      "theme=dark%20mode; Path=/; HttpOnly; SameSite=Lax",
    ]);
  });

  test("options override the defaults", () => {
    expect(
      setCookieValue("a", "1", {
        httpOnly: false,
        sameSite: "strict",
        secure: true,
        maxAge: 60,
        path: "/x",
        domain: "example.com",
      }),
    ).toBe("a=1; Max-Age=60; Domain=example.com; Path=/x; Secure; SameSite=Strict");
  });

  test("deleteCookie sends an empty, expired cookie with the same path", async () => {
    const res = new Response("x").deleteCookie("theme", { path: "/app" });
    expect(res.headers.get("set-cookie")).toBe(
      "theme=; Max-Age=0; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
    );
    expect(deleteCookieValue("__Host-x")).toMatch(/Secure/);
  });

  test.each([
    ["__Secure-a", { secure: false }, /needs Secure/],
    ["__Host-a", { path: "/x" }, /Path=\/ and no Domain/],
    ["__Host-a", { domain: "example.com" }, /Path=\/ and no Domain/],
    ["a", { sameSite: "none" as const }, /SameSite=None needs Secure/],
    ["bad name", {}, /argument name is invalid/],
  ])("%s with %j is refused", (name, options, message) => {
    expect(() => setCookieValue(name, "v", options)).toThrow(message);
  });

  test("a __Host- or __Secure- name gets Secure without asking", () => {
    expect(setCookieValue("__Host-id", "1")).toBe(
      "__Host-id=1; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
  });

  test("parseCookies reads the header as UTF-8 and returns a null-prototype object", () => {
    const cookies = parseCookies("n=caf\u00c3\u00a9; __proto__=x");
    expect(cookies.n).toBe("café");
    expect(Object.getPrototypeOf(parseCookies(undefined))).toBeNull();
  });
});

describe("HeaderList", () => {
  test("case-insensitive get/set/delete, repeated names kept in order", () => {
    const h = new HeaderList({ "Set-Cookie": ["a=1", "b=2"], "X-One": "1" });
    expect(h.getAll("set-cookie")).toEqual(["a=1", "b=2"]);
    h.set("x-one", "one").append("X-Two", "2").delete("SET-COOKIE");
    expect(h.toArray()).toEqual([
      ["x-one", "one"],
      ["X-Two", "2"],
    ]);
    expect(h.has("x-two")).toBe(true);
    expect(h.get("nope")).toBeNull();
  });
});
