import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { serve as honoServe, type ServerType } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type FetchEnv, fromFetch } from "../../src/adapters/fetch.js";
import type { Application, Body } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";
import { testEnviron } from "../helpers/environ.js";
import { honoApp, LARGE_SIZE, largeChunk, seen } from "./fetch-hono-app.js";

// Differential: the same Hono app served natively by @hono/node-server and run through
// fromFetch + inject() must give the same status, headers (less the connection's own) and body.

interface Exchange {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

interface Case {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

const CONNECTION_HEADERS = new Set(["date", "connection", "keep-alive", "transfer-encoding"]);

function comparable(headers: Array<[string, string]>): Array<[string, string]> {
  return headers
    .map(([name, value]): [string, string] => [name.toLowerCase(), value])
    .filter(([name]) => !CONNECTION_HEADERS.has(name))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

let server: ServerType;
let port: number;
const tsgiApp: Application = fromFetch(honoApp());

beforeAll(async () => {
  await new Promise<void>((resolve) => {
    server = honoServe({ fetch: honoApp().fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function native(c: Case): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: c.method ?? "GET",
        path: c.url,
        headers: {
          ...c.headers,
          ...(c.body !== undefined ? { "content-length": Buffer.byteLength(c.body) } : {}),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const headers: Array<[string, string]> = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            headers.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on("error", reject);
    req.end(c.body);
  });
}

async function through(c: Case, app: Application = tsgiApp): Promise<Exchange> {
  const res = await inject(app, {
    method: c.method ?? "GET",
    url: c.url,
    headers: { host: `127.0.0.1:${port}`, ...c.headers },
    body: c.body,
  });
  expect(res.errors).toBe("");
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(res.body) };
}

const JSON_TYPE = { "content-type": "application/json" };
const FORM_TYPE = { "content-type": "application/x-www-form-urlencoded" };

const cases: Array<[string, Case]> = [
  ["hello", { url: "/" }],
  ["route and query params", { url: "/users/42?sort=asc&tag=a&tag=b" }],
  ["a JSON body", { method: "POST", url: "/json", headers: JSON_TYPE, body: '{"n":[1,2]}' }],
  ["a form body", { method: "POST", url: "/form", headers: FORM_TYPE, body: "a=1&b=x+y&c=%C3%A9" }],
  ["a text body", { method: "PUT", url: "/text", body: "x".repeat(100_000) }],
  ["several Set-Cookie", { url: "/cookies" }],
  ["a relative redirect", { url: "/redirect" }],
  ["an absolute redirect", { url: "/moved" }],
  ["a thrown error, the app's error handler", { url: "/error" }],
  ["an HTTPException", { url: "/forbidden" }],
  ["404 with an unread body", { method: "POST", url: "/nowhere", body: "ignored" }],
  ["HEAD", { method: "HEAD", url: "/" }],
  ["HEAD of JSON", { method: "HEAD", url: "/users/7" }],
  ["204", { url: "/empty" }],
  ["ETag", { url: "/etag/data" }],
  [
    "request headers",
    { url: "/headers", headers: { "user-agent": "t/1", "x-foo-bar": "baz", accept: "a/b" } },
  ],
  ["server-sent events", { url: "/sse" }],
  ["getConnInfo's address", { url: "/conn" }],
  ["%2F stays in the path", { url: "/raw/a%2Fb" }],
  ["%FF stays a byte", { url: "/raw/%FF" }],
  ["UTF-8 escapes", { url: "/raw/%C3%A9t%C3%A9" }],
  ["a dot segment", { url: "/users/../raw/x" }],
  ["a mount", { url: "/mount/users/9" }],
];

describe("fromFetch with a Hono app, against @hono/node-server", () => {
  test.each(cases)("%s", async (_name, c) => {
    const [want, got] = await Promise.all([native(c), through(c)]);
    expect(got.status).toBe(want.status);
    expect(comparable(got.headers)).toEqual(comparable(want.headers));
    expect(got.body.toString("latin1")).toBe(want.body.toString("latin1"));
  });

  test("304 for a matching If-None-Match", async () => {
    const first = await native({ url: "/etag/data" });
    const tag = first.headers.find(([name]) => name.toLowerCase() === "etag")?.[1] ?? "";
    const c = { url: "/etag/data", headers: { "if-none-match": tag } };
    const [want, got] = await Promise.all([native(c), through(c)]);
    expect(want.status).toBe(304);
    expect(got.status).toBe(304);
    expect(comparable(got.headers)).toEqual(comparable(want.headers));
    expect(got.body.length).toBe(0);
  });

  test("a 16 MiB download arrives whole, with the bytes in order", async () => {
    const got = await through({ url: "/large" });
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(LARGE_SIZE);
    expect(got.body.subarray(0, 65536)).toEqual(Buffer.from(largeChunk(0)));
    expect(got.body.subarray(LARGE_SIZE - 65536)).toEqual(Buffer.from(largeChunk(255)));
  });

  test("mounted under SCRIPT_NAME, the handler sees the path the client sent", async () => {
    const res = await inject(tsgiApp, {
      url: "/mount/users/9",
      environ: { SCRIPT_NAME: "/mount", PATH_INFO: "/users/9" },
    });
    expect(res.json()).toEqual({ mounted: "9", path: "/mount/users/9" });
  });

  test("getConnInfo reads REMOTE_ADDR and REMOTE_PORT", async () => {
    const res = await inject(tsgiApp, {
      url: "/conn-port",
      environ: { REMOTE_ADDR: "203.0.113.9", REMOTE_PORT: "51234" },
    });
    expect(res.json()).toEqual({ port: 51234 });
    const address = await inject(tsgiApp, { url: "/conn", environ: { REMOTE_ADDR: "::1" } });
    expect(address.json()).toEqual({ address: "::1" });
  });

  test("a client that leaves mid-stream aborts request.signal and cancels the stream", async () => {
    const controller = new AbortController();
    const running = inject(tsgiApp, { url: "/forever", signal: controller.signal });
    await waitFor(() => seen.writes > 2);
    controller.abort(new Error("client left"));
    const res = await running;
    expect(res.outcome.kind).toBe("gone");
    await waitFor(() => seen.aborted && seen.cancelled);
    expect(seen).toMatchObject({ aborted: true, cancelled: true });
  });
});

async function waitFor(check: () => boolean, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("fromFetch with plain handlers", () => {
  test("an object with fetch (export default { fetch }) gets the request and env", async () => {
    const module = {
      greeting: "hi",
      fetch(this: { greeting: string }, request: Request, env: FetchEnv) {
        return new Response(`${this.greeting} ${env.environ.REMOTE_USER} ${request.method}`);
      },
    };
    const res = await inject(fromFetch(module), { environ: { REMOTE_USER: "ann" } });
    expect(res.text()).toBe("hi ann GET");
  });

  test("a handler that throws gets the core's 500 and a log line", async () => {
    const res = await inject(
      fromFetch(() => {
        throw new Error("handler broke");
      }),
    );
    expect(res.statusCode).toBe(500);
    expect(res.errors).toContain("handler broke");
  });

  test("a handler that returns no Response is a 500 that says so", async () => {
    const res = await inject(fromFetch((() => "text") as unknown as () => Response));
    expect(res.statusCode).toBe(500);
    expect(res.errors).toContain("must return a Response");
  });

  test("hop-by-hop headers, and those named in Connection, are dropped", async () => {
    const headers = new Headers([
      ["connection", "x-hop, close"],
      ["x-hop", "1"],
      ["keep-alive", "timeout=5"],
      ["x-kept", "2"],
      ["upgrade", "h2c"],
    ]);
    const res = await inject(fromFetch(() => new Response("ok", { headers })));
    const names = res.headers.map(([name]) => name).sort();
    expect(names).toEqual(["content-length", "content-type", "x-kept"]);
  });

  test("a streamed body without Content-Type gets @hono/node-server's default", async () => {
    const body = new ReadableStream({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        controller.enqueue("text chunk");
        controller.close();
      },
    });
    const res = await inject(fromFetch(() => new Response(body, { status: 202 })));
    expect(res.status).toBe("202 Accepted");
    expect(res.header("content-type")).toBe("text/plain; charset=UTF-8");
    expect(res.text()).toBe("text chunk");
  });

  test("a slow stream is sent chunk by chunk without Content-Length", async () => {
    const chunks: string[] = [];
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (sent === 3) return controller.close();
        controller.enqueue(new TextEncoder().encode(`part ${sent++};`));
      },
    });
    const app = fromFetch(() => new Response(body));
    const res = await inject(app);
    chunks.push(res.text());
    expect(chunks).toEqual(["part 0;part 1;part 2;"]);
    expect(res.header("content-length")).toBeUndefined();
  });

  test("the next chunk is read only once the front-end took the last (backpressure)", async () => {
    let pulls = 0;
    const app = fromFetch(() => {
      const body = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            pulls++;
            await new Promise((resolve) => setTimeout(resolve, 1));
            controller.enqueue(new Uint8Array(10));
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body);
    });
    const body = (await app(testEnviron({ HTTP_HOST: "h" }), () => async () => {})) as Body;
    // Driven by hand, as a front-end does: at most one read ahead of what was taken.
    let taken = 0;
    for await (const _chunk of body as AsyncIterable<Uint8Array>) {
      taken++;
      expect(pulls - taken).toBeLessThanOrEqual(1);
      if (taken === 20) break;
    }
    await body.close?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pulls).toBeLessThanOrEqual(21);
  });
});
