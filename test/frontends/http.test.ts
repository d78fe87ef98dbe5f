import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { ClientGoneError } from "../../src/core/errors.js";
import type { Application, Environ } from "../../src/core/types.js";
import { type DevServer, serve } from "../../src/http.js";
import { waitFor } from "../helpers/integration.js";

const enc = new TextEncoder();
const MiB = 1024 * 1024;

/** Sends raw bytes on a fresh connection and returns everything the server sent back. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text, "latin1"));
    const parts: Buffer[] = [];
    socket.on("data", (d) => parts.push(d));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(parts).toString("latin1")));
  });
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

let last: { environ?: Environ; closed: number; signalReason?: unknown } = { closed: 0 };

const routes: Record<string, Application> = {
  "/info": (environ, start) => {
    last.environ = environ;
    const picked = Object.fromEntries(
      Object.entries(environ).filter(([, v]) => typeof v === "string" || typeof v === "boolean"),
    );
    start("200 OK", [
      ["Content-Type", "application/json"],
      ["X-Twice", "a"],
      ["X-Twice", "b"],
    ]);
    return [enc.encode(JSON.stringify(picked))];
  },
  "/echo": (environ, start) => {
    start("200 OK", [["Content-Type", "application/octet-stream"]]);
    return environ["tsgi.input"];
  },
  "/digest": async (environ, start) => {
    last.environ = environ;
    const body = await environ["tsgi.input"].read();
    start("200 OK", [["Content-Type", "text/plain"]]);
    return [enc.encode(`${body.length} ${sha256(body)}`)];
  },
  "/forever": (environ, start) => {
    start("200 OK", [["Content-Type", "application/octet-stream"]]);
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    return {
      *[Symbol.iterator]() {
        for (;;) yield chunk;
      },
      close() {
        last.closed++;
        last.signalReason = environ["tsgi.signal"].reason;
      },
    };
  },
  "/break": (_environ, start) => {
    start("200 OK", [["Content-Type", "text/plain"]]);
    return (function* () {
      yield enc.encode("partial ");
      throw new Error("boom after headers");
    })();
  },
  "/fail": () => {
    throw new Error("boom before headers");
  },
  "/sized": (_environ, start) => {
    start("200 OK", [
      ["Content-Type", "text/plain"],
      ["Content-Length", "5"],
    ]);
    return [enc.encode("hello")];
  },
};

const app: Application = (environ, start) => {
  const route = routes[environ.PATH_INFO];
  if (route) return route(environ, start);
  last.environ = environ;
  start("404 Not Found", [["Content-Type", "text/plain"]]);
  return [enc.encode("no such route")];
};

describe("serve() development server", () => {
  let dev: DevServer;

  beforeAll(async () => {
    dev = await serve(app, { port: 0 });
  });
  afterAll(async () => {
    await dev.close();
  });
  afterEach(() => {
    last = { closed: 0 };
    vi.restoreAllMocks();
  });

  test("listens on 127.0.0.1 and reports its url and port", () => {
    expect(dev.port).toBeGreaterThan(0);
    expect(dev.url).toBe(`http://127.0.0.1:${dev.port}`);
  });

  test("GET: meta-variables from the request, headers out in order", async () => {
    const res = await fetch(`${dev.url}/info?x=1&y=%20`, { headers: { "X-Custom": "v" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-twice")).toBe("a, b");
    const env = (await res.json()) as Record<string, unknown>;
    expect(env).toMatchObject({
      REQUEST_METHOD: "GET",
      SCRIPT_NAME: "",
      PATH_INFO: "/info",
      QUERY_STRING: "x=1&y=%20",
      SERVER_NAME: "127.0.0.1",
      SERVER_PORT: String(dev.port),
      SERVER_PROTOCOL: "HTTP/1.1",
      REMOTE_ADDR: "127.0.0.1",
      HTTP_X_CUSTOM: "v",
      HTTP_HOST: `127.0.0.1:${dev.port}`,
      "tsgi.url_scheme": "http",
      "tsgi.multithread": false,
      "tsgi.multiprocess": false,
      "tsgi.run_once": false,
    });
    expect(env.REMOTE_PORT).toMatch(/^\d+$/);
    expect(env.CONTENT_LENGTH).toBeUndefined();
  });

  test("PATH_INFO is the percent-decoded path as a byte string", async () => {
    const reply = await rawRequest(
      dev.port,
      "GET /info%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    expect(reply.startsWith("HTTP/1.1 404 ")).toBe(true);
    expect(last.environ?.PATH_INFO).toBe("/info\u00ff");
  });

  test("duplicate request headers are joined, not lost", async () => {
    const reply = await rawRequest(
      dev.port,
      "GET /info HTTP/1.1\r\nHost: x\r\nX-Dup: one\r\nX-Dup: two\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\n",
    );
    expect(reply.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(last.environ?.HTTP_X_DUP).toBe("one, two");
    expect(last.environ?.HTTP_COOKIE).toBe("a=1; b=2");
  });

  test("POST echo streams 20 MiB through without buffering the whole body", async () => {
    const total = 20 * MiB;
    const piece = Buffer.alloc(MiB);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 31) & 0xff;
    const sent = createHash("sha256");
    const got = createHash("sha256");
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        `${dev.url}/echo`,
        { method: "POST", headers: { "Content-Length": String(total) } },
        (res) => {
          res.on("data", (d: Buffer) => {
            received += d.length;
            got.update(d);
          });
          res.on("end", resolve);
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      (async () => {
        for (let sentBytes = 0; sentBytes < total; sentBytes += MiB) {
          // A server that buffered the whole body would echo nothing yet, and this would time out.
          await waitFor(() => received >= sentBytes - 6 * MiB, 10_000, "echo to keep up");
          sent.update(piece);
          if (!req.write(piece)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
      })().catch(reject);
    });
    await done;
    expect(received).toBe(total);
    expect(got.digest("hex")).toBe(sent.digest("hex"));
  });

  test("a chunked upload without Content-Length is readable to its end", async () => {
    const parts = [enc.encode("first "), enc.encode("second "), enc.encode("third")];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const p of parts) controller.enqueue(p);
        controller.close();
      },
    });
    const res = await fetch(`${dev.url}/digest`, {
      method: "POST",
      body,
      duplex: "half",
    } as RequestInit);
    const expected = Buffer.concat(parts);
    expect(await res.text()).toBe(`${expected.length} ${sha256(expected)}`);
    expect(last.environ?.CONTENT_LENGTH).toBeUndefined();
    expect(last.environ?.HTTP_TRANSFER_ENCODING).toBe("chunked");
  });

  test("a client gone mid-download: close() runs, the signal fires, the server keeps serving", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${dev.url}/forever`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {}); // the destroy above
      req.end();
      setTimeout(() => reject(new Error("no data")), 5000).unref();
    });
    await waitFor(() => last.closed > 0, 5000, "body close()");
    expect(last.closed).toBe(1);
    expect(last.signalReason).toBeInstanceOf(ClientGoneError);
    const res = await fetch(`${dev.url}/sized`);
    expect(await res.text()).toBe("hello");
  });

  test("an error after the headers breaks the response instead of completing it", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const res = await fetch(`${dev.url}/break`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(String(stderr.mock.calls.map((c) => c[0]).join(""))).toContain("boom after headers");
  });

  test("an error before the headers is a 500 and a log line", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const res = await fetch(`${dev.url}/fail`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("Internal Server Error\n");
    expect(String(stderr.mock.calls.map((c) => c[0]).join(""))).toContain("boom before headers");
  });

  test("HEAD keeps the headers and sends no body", async () => {
    const res = await fetch(`${dev.url}/sized`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("5");
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  test("a CONTENT_LENGTH the environ builder refuses is a 400", async () => {
    const reply = await rawRequest(
      dev.port,
      "POST /digest HTTP/1.1\r\nHost: x\r\nContent-Length: 1234567890123456\r\nConnection: close\r\n\r\n",
    );
    expect(reply.startsWith("HTTP/1.1 400 Bad Request\r\n")).toBe(true);
    expect(reply).toContain("CONTENT_LENGTH");
  });
});

describe("serve() options", () => {
  test("log: one access line per request on stderr", async () => {
    const dev = await serve(routes["/sized"], { port: 0, log: true });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await (await fetch(`${dev.url}/x?q=1`)).text();
      const lines = stderr.mock.calls.map((c) => String(c[0]));
      expect(lines.some((l) => /"GET \/x\?q=1 HTTP\/1\.1" 200 OK 5 \d+ms/.test(l))).toBe(true);
    } finally {
      stderr.mockRestore();
      await dev.close();
    }
  });

  test("close() ends open keep-alive connections and stops listening", async () => {
    const dev = await serve(routes["/sized"], { port: 0 });
    await (await fetch(dev.url)).text();
    await dev.close();
    await expect(fetch(dev.url)).rejects.toThrow();
  });

  test("a port in use rejects", async () => {
    const dev = await serve(routes["/sized"], { port: 0 });
    try {
      await expect(serve(routes["/sized"], { port: dev.port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await dev.close();
    }
  });
});
