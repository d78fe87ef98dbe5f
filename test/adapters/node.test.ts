import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { IncomingMessage, type RequestListener, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import express from "express";
import Koa from "koa";
import { describe, expect, it } from "vitest";
import { environOf, fromNode } from "../../src/adapters/node.js";
import { ClientGoneError } from "../../src/core/errors.js";
import { inject } from "../../src/testing/inject.js";
import { express4, expressApp } from "./node-apps.js";
import { listen, runRaw, viaNative } from "./node-harness.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("fromNode: the request", () => {
  it("gives the listener a genuine IncomingMessage and ServerResponse", async () => {
    let seen: { req: unknown; res: unknown; socket: unknown } | undefined;
    const app = fromNode((req, res) => {
      seen = {
        req: Object.getPrototypeOf(req),
        res: Object.getPrototypeOf(res),
        socket: typeof req.socket.on,
      };
      res.end();
    });
    await inject(app);
    expect(seen?.req).toBe(IncomingMessage.prototype);
    expect(seen?.socket).toBe("function");
  });

  it("maps method, url, version, headers and the connection", async () => {
    let seen: Record<string, unknown> = {};
    const app = fromNode((req, res) => {
      seen = {
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        headers: req.headers,
        raw: req.rawHeaders,
        remote: [req.socket.remoteAddress, req.socket.remotePort],
        local: [req.socket.localAddress, req.socket.localPort],
        encrypted: (req.socket as { encrypted?: boolean }).encrypted,
      };
      res.end();
    });
    await runRaw(app, {
      method: "PUT",
      url: "/a%20b?c=%2F",
      headers: {
        "x-foo-bar": "1",
        cookie: "a=1; b=2",
        "content-type": "text/plain",
        "content-length": "0",
      },
      environ: {
        HTTP_PROXY: "",
        REMOTE_ADDR: "10.0.0.7",
        REMOTE_PORT: "5555",
        SERVER_ADDR: "10.0.0.1",
        SERVER_PORT: "8080",
        SERVER_PROTOCOL: "HTTP/1.0",
        CONTENT_LENGTH: "0",
      },
    });
    expect(seen).toMatchObject({
      method: "PUT",
      url: "/a%20b?c=%2F",
      httpVersion: "1.0",
      headers: {
        "x-foo-bar": "1",
        cookie: "a=1; b=2",
        "content-type": "text/plain",
        host: "localhost",
      },
      remote: ["10.0.0.7", 5555],
      local: ["10.0.0.1", 8080],
      encrypted: undefined,
    });
    expect(seen.headers).not.toHaveProperty("proxy");
  });

  it("reads the connection from the environ until the app sets it, as on a net.Socket", async () => {
    let seen: unknown[] = [];
    const app = fromNode((req, res) => {
      const socket = req.socket;
      const before = [socket.remoteAddress, socket.remoteFamily, socket.remotePort];
      // proxy-addr style code rewrites these on the socket; the assignment must stick.
      (socket as { remoteAddress?: string }).remoteAddress = "203.0.113.9";
      (socket as { remotePort?: number }).remotePort = 4444;
      seen = [...before, socket.remoteAddress, socket.remotePort, socket.address()];
      res.end();
    });
    await runRaw(app, {
      url: "/",
      environ: { REMOTE_ADDR: "::1", REMOTE_PORT: "x", SERVER_ADDR: "::1", SERVER_PORT: "80" },
    });
    expect(seen).toEqual([
      "::1",
      "IPv6",
      undefined,
      "203.0.113.9",
      4444,
      { address: "::1", port: 80, family: "IPv6" },
    ]);
  });

  it.each([
    ["HTTP/1.0", "1.0", undefined],
    ["HTTP/1.1", "1.1", "2"],
    // Behind a proxy a Node server sees 1.1; as "2.0" ServerResponse would act as for 1.0.
    ["HTTP/2.0", "1.1", "2"],
  ])(
    "SERVER_PROTOCOL %s is httpVersion %s (Content-Length %s)",
    async (protocol, version, length) => {
      let seen = "";
      const app = fromNode((req, res) => {
        seen = req.httpVersion;
        res.end("ok");
      });
      const res = await runRaw(app, { url: "/", environ: { SERVER_PROTOCOL: protocol } });
      expect(seen).toBe(version);
      expect(res.headers.find(([name]) => name === "Content-Length")?.[1]).toBe(length);
      expect(res.body.toString()).toBe("ok");
    },
  );

  it("presents a body without CONTENT_LENGTH as chunked, and none for a GET", async () => {
    const heads: unknown[] = [];
    const app = fromNode((req, res) => {
      heads.push([req.headers["transfer-encoding"], req.headers["content-length"]]);
      req.resume();
      req.on("end", () => res.end());
    });
    await runRaw(app, { method: "POST", url: "/", body: "abc" });
    await runRaw(app, { method: "POST", url: "/" });
    await runRaw(app, { method: "GET", url: "/" });
    expect(heads).toEqual([
      ["chunked", undefined],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });

  it("keeps req.complete false until the body ended, and streams it with backpressure", async () => {
    const states: unknown[] = [];
    let pulled = 0;
    const app = fromNode((req, res) => {
      states.push(req.complete);
      req.pause();
      setTimeout(() => {
        states.push(["before reading", req.complete, pulled]);
        let total = 0;
        req.on("data", (part: Buffer) => {
          total += part.length;
        });
        req.on("end", () => {
          states.push(["end", req.complete]);
          res.end(String(total));
        });
        req.resume();
      }, 20);
    });
    const body = Buffer.alloc(1024 * 1024, 1);
    // A source that counts what tsgi pulled before the app read anything.
    async function* source() {
      for (let at = 0; at < body.length; at += 16384) {
        pulled += 16384;
        yield body.subarray(at, at + 16384);
      }
    }
    const environ = await import("../helpers/environ.js");
    const { runApp } = await import("../../src/core/run.js");
    const chunks: Buffer[] = [];
    const env = environ.testEnviron(
      { REQUEST_METHOD: "POST", PATH_INFO: "/", CONTENT_LENGTH: String(body.length) },
      { source: source() },
    );
    await runApp(app, env, {
      commit() {},
      write: (chunk) => void chunks.push(Buffer.from(chunk)),
      end() {},
      abort() {},
    });
    expect(Buffer.concat(chunks).toString()).toBe(String(body.length));
    expect(states[0]).toBe(false);
    const [, completeBefore, pulledBefore] = states[1] as [string, boolean, number];
    expect(completeBefore).toBe(false);
    expect(pulledBefore).toBeLessThan(256 * 1024);
    expect(states[2]).toEqual(["end", true]);
  });

  it("destroys the request (aborted, error ECONNRESET, close) when the upload is cut off", async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const app = fromNode((req, res) => {
      req.on("aborted", () => events.push("aborted"));
      req.on("error", (error: Error & { code?: string }) => events.push(`error ${error.code}`));
      req.on("close", () => events.push("close"));
      res.on("close", () => events.push("res close"));
      req.resume();
    });
    async function* source() {
      yield Buffer.from("part of it");
      await tick();
      controller.abort(new ClientGoneError());
      throw new ClientGoneError();
    }
    const { testEnviron } = await import("../helpers/environ.js");
    const { runApp } = await import("../../src/core/run.js");
    const environ = testEnviron(
      { REQUEST_METHOD: "POST", PATH_INFO: "/", CONTENT_LENGTH: "100" },
      { source: source(), signal: controller.signal },
    );
    const outcome = await runApp(app, environ, {
      commit() {},
      write() {},
      end() {},
      abort() {},
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(outcome.kind).toBe("gone");
    expect(events).toEqual(
      expect.arrayContaining(["aborted", "error ECONNRESET", "close", "res close"]),
    );
  });

  it.each([
    ["Express 5", express],
    ["Express 4", express4],
  ])("%s: SCRIPT_NAME is the mount (req.baseUrl, req.originalUrl)", async (_name, make) => {
    const app = fromNode(expressApp(make));
    const res = await runRaw(app, {
      url: "/shop/raw/a%2Fb?x=1",
      environ: { SCRIPT_NAME: "/shop", PATH_INFO: "/raw/a/b", REQUEST_URI: "/shop/raw/a%2Fb?x=1" },
    });
    expect(JSON.parse(res.body.toString())).toEqual({
      url: "/a%2Fb?x=1",
      originalUrl: "/shop/raw/a%2Fb?x=1",
      baseUrl: "/shop/raw",
      path: "/a%2Fb",
    });
  });

  it.each([
    ["Express 5", express],
    ["Express 4", express4],
  ])(
    "%s: req.secure and req.protocol over https, req.ip through a trusted proxy",
    async (_name, make) => {
      const app = fromNode(expressApp(make));
      const direct = await runRaw(app, {
        url: "/who",
        environ: { HTTPS: "on", REMOTE_ADDR: "203.0.113.9" },
      });
      expect(JSON.parse(direct.body.toString())).toMatchObject({
        ip: "203.0.113.9",
        protocol: "https",
        secure: true,
      });
      const proxied = await runRaw(app, {
        url: "/who",
        headers: { "x-forwarded-for": "198.51.100.4", "x-forwarded-proto": "https" },
        environ: { REMOTE_ADDR: "127.0.0.1" },
      });
      expect(JSON.parse(proxied.body.toString())).toMatchObject({
        ip: "198.51.100.4",
        protocol: "https",
      });
      const plain = await runRaw(app, { url: "/who", environ: { REMOTE_ADDR: "203.0.113.9" } });
      expect(JSON.parse(plain.body.toString())).toMatchObject({ protocol: "http", secure: false });
    },
  );

  it("environOf(req) gives the environ behind a request, undefined for any other", async () => {
    let user: unknown;
    const app = fromNode((req, res) => {
      user = environOf(req)?.REMOTE_USER;
      res.end(String(environOf(res) === environOf(req)));
    });
    const res = await runRaw(app, { url: "/", environ: { REMOTE_USER: "ann" } });
    expect(user).toBe("ann");
    expect(res.body.toString()).toBe("true");
    expect(environOf(new IncomingMessage(null as never))).toBeUndefined();
  });
});

describe("fromNode: the response", () => {
  it("drops 1xx interim heads, hop-by-hop headers and Date; keeps each Set-Cookie", async () => {
    const app = fromNode((_req, res) => {
      res.writeContinue();
      res.writeEarlyHints({ link: "</a.css>; rel=preload" });
      res.setHeader("Date", "Mon, 01 Jan 2024 00:00:00 GMT");
      res.setHeader("Connection", "x-private");
      res.setHeader("X-Private", "no");
      res.setHeader("Keep-Alive", "timeout=9");
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      res.end("ok");
    });
    const res = await runRaw(app, { url: "/" });
    expect(res.status).toBe("200 OK");
    expect(res.headers).toEqual([
      ["Set-Cookie", "a=1"],
      ["Set-Cookie", "b=2"],
      ["Content-Length", "2"],
    ]);
    expect(res.body.toString()).toBe("ok");
  });

  it("unframes a body the app chunk-encoded by setting Transfer-Encoding itself", async () => {
    const app = fromNode((_req, res) => {
      res.setHeader("Transfer-Encoding", "chunked");
      res.write("hello ");
      res.write(Buffer.from("chunked "));
      res.end("world");
    });
    const res = await runRaw(app, { url: "/" });
    expect(res.headers).toEqual([]);
    expect(res.body.toString()).toBe("hello chunked world");
  });

  it("passes each write on at once (server-sent events)", async () => {
    const order: string[] = [];
    const app = fromNode((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      let n = 0;
      const next = () => {
        n += 1;
        order.push(`app ${n}`);
        if (n < 3) {
          res.write(`data: ${n}\n\n`);
          setTimeout(next, 30);
        } else res.end(`data: ${n}\n\n`);
      };
      next();
    });
    const res = await runRaw(app, {
      url: "/",
      sink: {
        write(chunk) {
          order.push(`sink ${Buffer.from(chunk).toString().trim()}`);
        },
      },
    });
    expect(res.outcome.kind).toBe("ok");
    expect(order).toEqual([
      "app 1",
      "sink data: 1",
      "app 2",
      "sink data: 2",
      "app 3",
      "sink data: 3",
    ]);
  });

  it("returns false from write() while the sink is busy, then emits drain", async () => {
    let release: () => void = () => {};
    const events: string[] = [];
    let inFlightMax = 0;
    let written = 0;
    let accepted = 0;
    const app = fromNode((_req, res) => {
      const chunk = Buffer.alloc(8192, 7);
      const pump = () => {
        while (written < 200_000) {
          written += chunk.length;
          inFlightMax = Math.max(inFlightMax, written - accepted);
          if (!res.write(chunk)) {
            events.push("false");
            res.once("drain", () => {
              events.push("drain");
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const running = runRaw(app, {
      url: "/",
      sink: {
        write(chunk) {
          return new Promise<void>((resolve) => {
            release = () => {
              release = () => {};
              accepted += chunk.length;
              resolve();
            };
          });
        },
      },
    });
    let done = false;
    void running.then(() => {
      done = true;
    });
    for (let i = 0; i < 1000 && !done; i++) {
      await tick();
      release();
    }
    const res = await running;
    expect(res.outcome.kind).toBe("ok");
    expect(accepted).toBe(written);
    expect(events.slice(0, 2)).toEqual(["false", "drain"]);
    expect(inFlightMax).toBeLessThanOrEqual(16384 + 8192);
  });

  it("streams a 64 MiB download without holding it (pipe from a Readable)", async () => {
    const total = 64 * 1024 * 1024;
    let produced = 0;
    let received = 0;
    let maxAhead = 0;
    const app = fromNode((_req, res) => {
      res.setHeader("Content-Length", String(total));
      const part = Buffer.alloc(65536, 1);
      new Readable({
        read() {
          if (produced >= total) this.push(null);
          else {
            produced += part.length;
            this.push(part);
          }
        },
      }).pipe(res);
    });
    const res = await runRaw(app, {
      url: "/",
      sink: {
        async write(chunk) {
          received += chunk.length;
          maxAhead = Math.max(maxAhead, produced - received);
          if (received % (1024 * 1024) === 0) await tick();
        },
      },
    });
    expect(res.outcome.kind).toBe("ok");
    expect(received).toBe(total);
    expect(maxAhead).toBeLessThan(1024 * 1024);
  });

  it("gives finish then close on a normal end, and the request its end and close", async () => {
    const events: string[] = [];
    const app = fromNode((req, res) => {
      for (const name of ["finish", "close"]) res.on(name, () => events.push(`res ${name}`));
      for (const name of ["end", "close", "aborted"])
        req.on(name, () => events.push(`req ${name}`));
      res.end("x");
    });
    await runRaw(app, { url: "/" });
    for (let i = 0; i < 5; i++) await tick();
    expect(events).toEqual(["res finish", "res close", "req end", "req close"]);
  });

  it("when the client leaves: close without finish on res, aborted and close on req", async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const app = fromNode((req, res) => {
      for (const name of ["finish", "close"]) res.on(name, () => events.push(`res ${name}`));
      for (const name of ["close", "aborted"]) req.on(name, () => events.push(`req ${name}`));
      res.write("first");
      setTimeout(() => controller.abort(new ClientGoneError()), 20);
    });
    const res = await runRaw(app, { url: "/", signal: controller.signal });
    for (let i = 0; i < 5; i++) await tick();
    expect(res.outcome.kind).toBe("gone");
    expect(events).toContain("res close");
    expect(events).toContain("req close");
    expect(events).not.toContain("res finish");
  });

  it("when the client leaves before anything was written: the same, the outcome gone", async () => {
    const events: string[] = [];
    const controller = new AbortController();
    const app = fromNode((req, res) => {
      for (const name of ["finish", "close"]) res.on(name, () => events.push(`res ${name}`));
      for (const name of ["close", "aborted"]) req.on(name, () => events.push(`req ${name}`));
      // A long poll: the answer would come later, the client leaves first.
      setTimeout(() => controller.abort(new ClientGoneError()), 20);
    });
    const res = await runRaw(app, { url: "/", signal: controller.signal });
    for (let i = 0; i < 5; i++) await tick();
    expect(res.outcome.kind).toBe("gone");
    expect(events).toEqual(expect.arrayContaining(["req aborted", "req close", "res close"]));
    expect(events).not.toContain("res finish");
  });

  it("a listener that writes the response to the socket itself and ends it (a hijack) completes", async () => {
    const app = fromNode((req) => {
      // What Fastify's tests do after reply.hijack(): raw HTTP on req.socket, then end().
      req.socket.write("HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\n");
      req.socket.write("hello from handler");
      req.socket.end();
    });
    const res = await runRaw(app, { url: "/" });
    expect(res.outcome.kind).toBe("ok");
    expect(res.status).toBe("200 OK");
    expect(res.headers).toEqual([["X-Raw", "1"]]);
    expect(res.body.toString()).toBe("hello from handler");
  });

  it("socket.destroy(error) reaches the socket's listeners, as on a net.Socket (Koa's onerror)", async () => {
    const koa = new Koa();
    koa.silent = true;
    const heard = new Promise<Error>((resolve) => koa.once("error", resolve));
    koa.use((ctx) => {
      ctx.socket.destroy(new Error("boom"));
    });
    const res = await runRaw(fromNode(koa), { url: "/" });
    expect((await heard).message).toBe("boom");
    // Nothing went out on a connection the app destroyed but the core's 500 for the client.
    expect(res.status).toMatch(/^500 /);
  });

  it("socket.destroy(error) with nobody listening does not take the process down", async () => {
    const res = await runRaw(
      fromNode((req) => {
        req.socket.destroy(new Error("unheard"));
      }),
      { url: "/" },
    );
    for (let i = 0; i < 3; i++) await tick();
    expect(res.status).toMatch(/^500 /);
    expect(res.errors).toContain("unheard");
  });

  it("tells every waiting response that its client left, not only the first", async () => {
    // Responses that wait past a turn of the event loop start listening together (one
    // setImmediate for all of them): each must still hear its own client leave.
    const controllers = [0, 1, 2].map(() => new AbortController());
    const closed: number[] = [];
    const app = fromNode((req, res) => {
      const n = Number(req.url?.slice(1));
      res.on("close", () => closed.push(n));
    });
    const runs = controllers.map((controller, n) =>
      runRaw(app, { url: `/${n}`, signal: controller.signal }),
    );
    await tick();
    await tick();
    controllers[2].abort(new ClientGoneError());
    controllers[0].abort(new ClientGoneError());
    controllers[1].abort(new ClientGoneError());
    const results = await Promise.all(runs);
    for (let i = 0; i < 5; i++) await tick();
    expect(results.map((r) => r.outcome.kind)).toEqual(["gone", "gone", "gone"]);
    expect(closed.sort()).toEqual([0, 1, 2]);
  });

  it.each<[string, RequestListener]>([
    [
      "after an await",
      async (_req, res) => {
        await tick();
        res.setHeader("Content-Type", "text/plain");
        res.write("a");
        res.write("b");
        res.end("c");
      },
    ],
    [
      "in a later microtask (Koa)",
      (_req, res) => {
        void Promise.resolve().then(() => res.end("abc"));
      },
    ],
  ])("a response ended %s is whole, then finish and close", async (_name, listener) => {
    const events: string[] = [];
    const app = fromNode((req, res) => {
      for (const name of ["finish", "close"]) res.on(name, () => events.push(`res ${name}`));
      return listener(req, res);
    });
    const res = await runRaw(app, { url: "/" });
    for (let i = 0; i < 5; i++) await tick();
    expect(res.outcome.kind).toBe("ok");
    expect(res.status).toBe("200 OK");
    expect(res.body.toString()).toBe("abc");
    expect(events).toEqual(["res finish", "res close"]);
  });

  it.each<[string, RequestListener, string]>([
    [
      "a listener that throws before writing",
      () => {
        throw new Error("sync boom");
      },
      "sync boom",
    ],
    [
      "a listener whose promise rejects",
      async () => Promise.reject(new Error("async boom")),
      "async boom",
    ],
    [
      "a status tsgi cannot carry (600-999)",
      (_req, res) => {
        res.statusCode = 600;
        res.end("odd");
      },
      "code must be 200-599",
    ],
    [
      "res.destroy() before the head",
      (_req, res) => {
        res.destroy();
      },
      "destroyed",
    ],
  ])("%s gets the core's 500", async (_name, listener, logged) => {
    const res = await runRaw(fromNode(listener), { url: "/" });
    expect(res.status).toBe("500 Internal Server Error");
    expect(res.outcome.kind).toBe("error");
    expect(res.errors).toContain(logged);
  });

  it("a response that breaks after its head is broken, not complete", async () => {
    const app = fromNode((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("part");
      setTimeout(() => res.destroy(new Error("upstream died")), 10);
    });
    const res = await runRaw(app, { url: "/" });
    expect(res.status).toBe("200 OK");
    expect(res.outcome.kind).toBe("broken");
    expect(res.body.toString()).toBe("part");
  });

  it("streams a Koa body (a Readable)", async () => {
    const koa = new Koa();
    koa.use((ctx) => {
      ctx.type = "text/plain";
      ctx.body = Readable.from(["a", "b", "c"]);
    });
    const res = await runRaw(fromNode(koa), { url: "/" });
    expect(res.body.toString()).toBe("abc");
    expect(res.headers).toEqual([["Content-Type", "text/plain; charset=utf-8"]]);
  });
});

describe("fromNode: what it accepts", () => {
  it("refuses what is no Node handler, saying what it got", () => {
    expect(() => fromNode({ fetch() {} } as never)).toThrow(/got an object with keys fetch/);
    expect(() => fromNode(42 as never)).toThrow(/got number/);
  });

  it("composes a Koa app at its first request: middleware added after fromNode is in it", async () => {
    const koa = new Koa();
    const app = fromNode(koa);
    koa.use((ctx) => {
      ctx.body = "added later";
    });
    expect((await inject(app)).text()).toBe("added later");
  });
});

describe("fromNode: header bytes above 0x7F", () => {
  // Node writes its latin-1 head alone before a Buffer body, but joined to a string body and
  // both as UTF-8: the bytes on the wire differ, and tsgi must pass on those bytes, twice over
  // (the second time from the memo of heads already seen).
  it.each<[string, RequestListener]>([
    [
      "with a string body",
      (_req, res) => {
        res.setHeader("X-Name", "caf\u00e9");
        res.end("body");
      },
    ],
    [
      "with a Buffer body",
      (_req, res) => {
        res.setHeader("X-Name", "caf\u00e9");
        res.end(Buffer.from("body"));
      },
    ],
  ])("%s: the value's bytes as node:http sends them", async (_name, listener) => {
    const { port, close } = await listen(listener);
    try {
      const native = await viaNative(port, { url: "/" });
      const wire = native.headers.find(([name]) => name === "x-name")?.[1];
      for (let i = 0; i < 2; i++) {
        const res = await runRaw(fromNode(listener), { url: "/" });
        expect(res.headers.find(([name]) => name === "X-Name")?.[1]).toBe(wire);
      }
    } finally {
      await close();
    }
  });
});

describe("fromNode: the prototype trap (light-my-request#333)", () => {
  it("leaves the Express app working on a real node:http server afterwards", async () => {
    const before = [IncomingMessage.prototype, ServerResponse.prototype].map(
      (proto) => Reflect.ownKeys(proto).length,
    );
    const app = expressApp(express);
    const tsgiApp = fromNode(app);
    for (let i = 0; i < 3; i++) await inject(tsgiApp, { url: "/hello" });
    const { port, close } = await listen(app);
    try {
      const native = await viaNative(port, { url: "/users/5?x=1" });
      expect(native.status).toBe(200);
      expect(JSON.parse(native.body)).toEqual({ id: "5", query: { x: "1" } });
    } finally {
      await close();
    }
    // Node's prototypes are untouched, and Express's own chain still leads to them.
    expect(app.request instanceof IncomingMessage).toBe(true);
    const after = [IncomingMessage.prototype, ServerResponse.prototype].map(
      (proto) => Reflect.ownKeys(proto).length,
    );
    expect(after).toEqual(before);
  });
});

describe("fromNode: loading", () => {
  // An app under CGI that imports anything from "tsgi" must not pay for node:http (~3 ms), nor
  // for node:crypto (3-10 ms) or node:net that only some middleware use.
  it.each(["dist/index.js", "dist/index.cjs"])(
    "importing %s loads neither node:http, node:stream, node:net nor node:crypto",
    (file) => {
      const path = fileURLToPath(new URL(`../../${file}`, import.meta.url));
      if (!existsSync(path)) throw new Error(`${file} is missing: run \`npm run build\` first`);
      // A script file, not \`node -e\`, which loads node:crypto itself.
      const script = join(mkdtempSync(join(tmpdir(), "tsgi-load-")), "probe.mjs");
      writeFileSync(
        script,
        `const m = await import(${JSON.stringify(pathToFileURL(path).href)});
if (!m.fromNode) throw new Error("no fromNode");
console.log(process.moduleLoadList.filter((n) => /^NativeModule (http|_http_server|stream|net|crypto)$/.test(n)).join());`,
      );
      const out = execFileSync(process.execPath, [script], { encoding: "utf8" });
      expect(out.trim()).toBe("");
    },
  );
});
