import { describe, expect, test } from "vitest";
import type { Environ } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";
import { HttpError } from "../../src/wrappers/http-error.js";
import { Request } from "../../src/wrappers/request.js";
import { Response } from "../../src/wrappers/response.js";

/** Runs `read` on a Request for the injected request and returns its JSON answer. */
async function seen(request: Parameters<typeof inject>[1], read: (r: Request) => unknown) {
  const app = Request.application(async (r) => Response.json(await read(r)));
  return (await inject(app, request)).json();
}

describe("Request: the environ as a request", () => {
  test("method, path (UTF-8 text), rawPath (bytes), scriptName, url", async () => {
    const out = await seen(
      { method: "PUT", url: "/caf%C3%A9/%FF?x=1", environ: { SCRIPT_NAME: "/app" } },
      (r) => ({
        method: r.method,
        path: r.path,
        rawPath: r.rawPath,
        scriptName: r.scriptName,
        url: r.url,
      }),
    );
    expect(out).toEqual({
      method: "PUT",
      path: "/café/\ufffd",
      rawPath: "/caf\u00c3\u00a9/\u00ff",
      scriptName: "/app",
      url: "http://localhost/app/caf%C3%A9/%FF?x=1",
    });
  });

  test("query is multi-valued", async () => {
    const out = await seen({ url: "/?a=1&a=2&b=%C3%A9&c" }, (r) => ({
      a: r.query.getAll("a"),
      first: r.query.get("a"),
      b: r.query.get("b"),
      c: r.query.get("c"),
      none: r.query.get("z"),
    }));
    expect(out).toEqual({ a: ["1", "2"], first: "1", b: "é", c: "", none: null });
  });

  test("headers are looked up case-insensitively, Content-Type included", async () => {
    const out = await seen(
      {
        method: "POST",
        url: "/",
        body: "x",
        headers: { "X-Custom-Thing": "v", "Content-Type": "text/plain" },
      },
      (r) => ({
        custom: r.headers.get("x-custom-thing"),
        upper: r.headers.get("X-CUSTOM-THING"),
        type: r.headers.get("content-type"),
        length: r.headers.get("Content-Length"),
        missing: r.headers.get("x-missing"),
        has: r.headers.has("X-Custom-Thing"),
        all: Object.fromEntries(r.headers.entries()),
      }),
    );
    expect(out).toMatchObject({
      custom: "v",
      upper: "v",
      type: "text/plain",
      length: "1",
      missing: null,
      has: true,
    });
    expect((out as { all: Record<string, string> }).all["x-custom-thing"]).toBe("v");
  });

  test("cookies: parsed, percent-decoded, the first of a repeated name wins", async () => {
    const out = await seen(
      { headers: { Cookie: 'a=1; b=hello%20world; a=2; c="q"' } },
      (r) => r.cookies,
    );
    // RFC 6265 §4.1.1: the DQUOTEs are part of a quoted cookie-value; cookie 1.x keeps them.
    expect(out).toEqual({ a: "1", b: "hello world", c: '"q"' });
  });

  test("remoteAddr", async () => {
    expect(await seen({ environ: { REMOTE_ADDR: "203.0.113.9" } }, (r) => r.remoteAddr)).toBe(
      "203.0.113.9",
    );
  });
});

describe("Request: bodies", () => {
  test("text() and json() read the body once and may both be called", async () => {
    const out = await seen({ method: "POST", url: "/", body: '{"a":[1,"é"]}' }, async (r) => ({
      text: await r.text(),
      json: await r.json(),
    }));
    expect(out).toEqual({ text: '{"a":[1,"é"]}', json: { a: [1, "é"] } });
  });

  test("bad JSON is a 400 that says so", async () => {
    const app = Request.application(async (r) => Response.json(await r.json()));
    const res = await inject(app, { method: "POST", url: "/", body: "{nope" });
    expect(res.statusCode).toBe(400);
    expect(res.text()).toMatch(/not valid JSON/);
  });

  test("a body over maxBodySize is a 413, refused by CONTENT_LENGTH before reading", async () => {
    let read = false;
    const app = Request.application(async (r) => Response.json(await r.text()), {
      maxBodySize: 10,
    });
    const res = await inject(app, { method: "POST", url: "/", body: "x".repeat(11) });
    expect(res.statusCode).toBe(413);
    expect(res.text()).toMatch(/11 bytes exceeds the limit of 10 bytes/);
    // The same with a body that does not declare its length: counted while read.
    const environ = { REQUEST_METHOD: "POST", CONTENT_LENGTH: undefined } as unknown as Environ;
    environ["tsgi.input"] = {
      async *[Symbol.asyncIterator]() {
        read = true;
        yield Buffer.alloc(8);
        yield Buffer.alloc(8);
      },
    } as never;
    await expect(new Request(environ, { maxBodySize: 10 }).text()).rejects.toMatchObject({
      status: 413,
    });
    expect(read).toBe(true);
  });

  test("the default limit is 1 MiB", async () => {
    const app = Request.application(async (r) => Response.json((await r.body()).length));
    expect(
      (await inject(app, { method: "POST", url: "/", body: Buffer.alloc(1024 * 1024) })).json(),
    ).toBe(1024 * 1024);
    expect(
      (await inject(app, { method: "POST", url: "/", body: Buffer.alloc(1024 * 1024 + 1) }))
        .statusCode,
    ).toBe(413);
  });

  test("a malformed CONTENT_LENGTH is a 400", async () => {
    const request = new Request({ CONTENT_LENGTH: "12abc" } as unknown as Environ);
    await expect(request.text()).rejects.toMatchObject({ status: 400 });
  });
});

describe("Request.application", () => {
  test("a handler may return a Web Response: status, headers, each Set-Cookie, the body streamed", async () => {
    const app = Request.application(() => {
      const headers = new Headers([
        ["X-One", "1"],
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
      ]);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("chunk one, "));
          controller.enqueue(new TextEncoder().encode("chunk two"));
          controller.close();
        },
      });
      return new globalThis.Response(stream, { status: 202, headers });
    });
    const res = await inject(app);
    expect(res.status).toBe("202 Accepted");
    expect(res.header("x-one")).toBe("1");
    expect(res.headers.filter(([n]) => n === "set-cookie").map(([, v]) => v)).toEqual([
      "a=1",
      "b=2",
    ]);
    expect(res.text()).toBe("chunk one, chunk two");
  });

  test("a string becomes a text/plain 200", async () => {
    const res = await inject(Request.application(() => "hi"));
    expect(res.header("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.text()).toBe("hi");
  });

  test("a thrown HttpError becomes its status; another error is the gateway's 500", async () => {
    const teapot = await inject(
      Request.application(() => {
        throw new HttpError(404, "no such user");
      }),
    );
    expect(teapot.status).toBe("404 Not Found");
    expect(teapot.text()).toBe("no such user\n");
    const broken = await inject(
      Request.application(() => {
        throw new Error("secret detail");
      }),
    );
    expect(broken.statusCode).toBe(500);
    expect(broken.text()).not.toMatch(/secret/);
  });

  test("a handler that returns something else is a 500 naming what it got", async () => {
    const res = await inject(Request.application(() => 42 as never));
    expect(res.statusCode).toBe(500);
    expect(res.errors).toMatch(/must return a Response, a Web Response or a string, got number/);
  });
});
