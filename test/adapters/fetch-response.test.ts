import { describe, expect, test } from "vitest";
import { fromFetch } from "../../src/adapters/fetch.js";
import type { Application } from "../../src/core/types.js";
import { type InjectRequest, inject } from "../../src/testing/inject.js";
import { honoApp } from "./fetch-hono-app.js";

// Here, unlike fetch.test.ts, nothing replaced globalThis.Response: these run on undici's own
// Response (the path of a real deployment) and on fromFetch's light one, which must agree.

const NativeResponse = globalThis.Response;
const plain = fromFetch(honoApp(), { lightResponse: false });
const light = fromFetch(honoApp());

async function run(app: Application, request: InjectRequest) {
  const res = await inject(app, { headers: { host: "example.org" }, ...request });
  return { status: res.status, headers: res.headers, body: res.text(), errors: res.errors };
}

// The one difference: a string body without Content-Type is "text/plain; charset=UTF-8" in
// light mode (as @hono/node-server says it), "text/plain;charset=UTF-8" in undici's Response.
function spelled(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.map(([name, value]) => [
    name,
    value.replace("text/plain;charset", "text/plain; charset"),
  ]);
}

const requests: Array<[string, InjectRequest]> = [
  ["text", { url: "/" }],
  ["JSON", { url: "/users/3?sort=up&tag=x" }],
  [
    "JSON body, 201",
    { method: "POST", url: "/json", body: "[1]", headers: { "content-type": "application/json" } },
  ],
  ["cookies", { url: "/cookies" }],
  ["redirect", { url: "/redirect" }],
  ["error handler", { url: "/error" }],
  ["HTTPException", { url: "/forbidden" }],
  ["404", { url: "/nowhere" }],
  ["HEAD", { method: "HEAD", url: "/" }],
  ["204", { url: "/empty" }],
  ["ETag", { url: "/etag/data" }],
  ["SSE", { url: "/sse" }],
];

describe("fromFetch on undici's Response (lightResponse: false) and on its light one", () => {
  test.each(requests)("%s: both give the same response", async (_name, request) => {
    const want = await run(plain, request);
    const got = await run(light, request);
    expect({ ...got, headers: spelled(got.headers) }).toEqual({
      ...want,
      headers: spelled(want.headers),
    });
    expect(globalThis.Response).toBe(NativeResponse);
  });

  test.each([
    ["undici's Response", plain, "text/plain;charset=UTF-8"],
    ["the light one", light, "text/plain; charset=UTF-8"],
  ])("a text response on %s has its length and a content type", async (_name, app, type) => {
    const res = await run(app, { url: "/" });
    expect(res.headers).toEqual([
      ["content-type", type],
      ["content-length", "12"],
    ]);
  });

  test("a light text response that was touched keeps the light content type", async () => {
    const app = fromFetch(() => {
      const response = new Response("x");
      response.headers.set("x-touched", "1");
      return response;
    });
    expect((await run(app, {})).headers).toContainEqual([
      "content-type",
      "text/plain; charset=UTF-8",
    ]);
  });

  test("inside the handler Response is light, instanceof and the statics work", async () => {
    const seen: unknown[] = [];
    const app = fromFetch(() => {
      const made = new Response("x");
      seen.push(globalThis.Response === NativeResponse, made instanceof Response);
      seen.push(made instanceof NativeResponse, Response.json({ a: 1 }) instanceof Response);
      return made;
    });
    expect((await run(app, {})).body).toBe("x");
    expect(seen).toEqual([false, true, true, true]);
    expect(globalThis.Response).toBe(NativeResponse);
  });

  test("a light Response touched by the handler becomes a real one", async () => {
    const app = fromFetch(() => {
      const response = new Response("touched", { status: 202 });
      response.headers.set("x-added", "1");
      return response;
    });
    const res = await run(app, {});
    expect(res.status).toBe("202 Accepted");
    expect(res.headers).toContainEqual(["x-added", "1"]);
    expect(res.body).toBe("touched");
  });

  test("a light Response with a stream body is streamed", async () => {
    const app = fromFetch(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("a"));
              controller.enqueue(new TextEncoder().encode("b"));
              controller.close();
            },
          }),
        ),
    );
    expect((await run(app, {})).body).toBe("ab");
  });

  test.each([
    ["a body with 204", () => new Response("x", { status: 204 })],
    ["status 99", () => new Response("x", { status: 99 })],
  ])("%s fails as the Response constructor does: a 500", async (_name, handler) => {
    for (const options of [{ lightResponse: false }, {}]) {
      const res = await run(fromFetch(handler, options), {});
      expect(res.status).toBe("500 Internal Server Error");
      expect(globalThis.Response).toBe(NativeResponse);
    }
  });

  test("bytes and an empty string get their length", async () => {
    for (const options of [{ lightResponse: false }, {}]) {
      const bytes = await run(
        fromFetch(() => new Response(new Uint8Array([1, 2, 3])), options),
        {},
      );
      expect(bytes.headers).toContainEqual(["content-length", "3"]);
      const empty = await run(
        fromFetch(() => new Response(""), options),
        {},
      );
      expect(empty.headers).toContainEqual(["content-length", "0"]);
      expect(empty.body).toBe("");
    }
  });
});
