import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { toFetch } from "../../src/adapters/to-fetch.js";
import type { Application, Environ } from "../../src/core/types.js";

const encoder = new TextEncoder();

/** Echoes what it saw of the request as JSON. */
const echo: Application = async (environ, startResponse) => {
  const body = await environ["tsgi.input"].read();
  const seen = {
    method: environ.REQUEST_METHOD,
    script: environ.SCRIPT_NAME,
    path: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    uri: environ.REQUEST_URI,
    host: environ.HTTP_HOST,
    foo: environ.HTTP_X_FOO,
    type: environ.CONTENT_TYPE,
    length: environ.CONTENT_LENGTH,
    scheme: environ["tsgi.url_scheme"],
    port: environ.SERVER_PORT,
    body: Buffer.from(body).toString(),
  };
  startResponse("200 OK", [
    ["Content-Type", "application/json"],
    ["Set-Cookie", "a=1"],
    ["Set-Cookie", "b=2"],
  ]);
  return [encoder.encode(JSON.stringify(seen))];
};

describe("toFetch", () => {
  test("the environ comes from the Request", async () => {
    const response = await toFetch(echo)(
      new Request("https://example.org:8443/a%2Fb/%FF?x=1&y", {
        method: "POST",
        headers: { "x-foo": "bar", "content-type": "text/plain" },
        body: "hello",
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await response.json()).toEqual({
      method: "POST",
      script: "",
      path: "/a/b/\u00ff",
      query: "x=1&y",
      uri: "/a%2Fb/%FF?x=1&y",
      host: "example.org:8443",
      foo: "bar",
      type: "text/plain",
      // a fetch Request has no Content-Length (the HTTP layer adds it): read to the end
      length: undefined,
      scheme: "https",
      port: "8443",
      body: "hello",
    });
  });

  test("a body without Content-Length (a stream) is read to its end", async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode("one "));
        controller.enqueue(encoder.encode("two"));
        controller.close();
      },
    });
    const request = new Request("http://h/", {
      method: "PUT",
      body: stream,
      duplex: "half",
    } as RequestInit);
    const seen = (await (await toFetch(echo)(request)).json()) as { body: string; length?: string };
    expect(seen.body).toBe("one two");
    expect(seen.length).toBeUndefined();
  });

  test("an app error before the headers is the core's 500", async () => {
    const response = await toFetch(
      () => {
        throw new Error("nope");
      },
      { errors: { write() {}, flush() {} } },
    )(new Request("http://h/"));
    expect(response.status).toBe(500);
  });

  test.each([
    ["HEAD", "200 OK"],
    ["GET", "204 No Content"],
    ["GET", "304 Not Modified"],
  ])("%s with %s has no body", async (method, status) => {
    const app: Application = (_environ, startResponse) => {
      startResponse(status, [["ETag", '"x"']]);
      return method === "HEAD" ? [encoder.encode("dropped")] : [];
    };
    const response = await toFetch(app)(new Request("http://h/", { method }));
    expect(response.status).toBe(Number(status.slice(0, 3)));
    expect(response.body).toBeNull();
    expect(response.headers.get("etag")).toBe('"x"');
  });

  test("the body streams with backpressure; cancelling it closes the app and fires tsgi.signal", async () => {
    let produced = 0;
    let closed = 0;
    let signal: AbortSignal | undefined;
    const app: Application = (environ: Environ, startResponse) => {
      signal = environ["tsgi.signal"];
      startResponse("200 OK", [["Content-Type", "application/octet-stream"]]);
      return {
        *[Symbol.iterator]() {
          for (;;) {
            produced++;
            yield new Uint8Array(1024);
          }
        },
        close() {
          closed++;
        },
      };
    };
    const response = await toFetch(app)(new Request("http://h/"));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (let i = 0; i < 10; i++) await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(produced).toBeLessThanOrEqual(12);
    await reader.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(1);
    expect(signal?.aborted).toBe(true);
  });

  test("close() is called once when the stream ends", async () => {
    let closed = 0;
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", []);
      return Object.assign([encoder.encode("a"), encoder.encode("b")], {
        close() {
          closed++;
        },
      });
    };
    expect(await (await toFetch(app)(new Request("http://h/"))).text()).toBe("ab");
    expect(closed).toBe(1);
  });

  test("a tsgi app mounted in Hono", async () => {
    const hono = new Hono();
    const legacy = toFetch(echo);
    hono.mount("/legacy", legacy);
    const response = await hono.request("http://h/legacy/x?q=1");
    const seen = (await response.json()) as { path: string; query: string };
    expect(seen.path).toBe("/x");
    expect(seen.query).toBe("q=1");
  });
});
