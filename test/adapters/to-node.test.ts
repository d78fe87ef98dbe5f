import { request as httpRequest, type RequestListener } from "node:http";
import express from "express";
import Fastify from "fastify";
import Koa from "koa";
import { afterEach, describe, expect, it } from "vitest";
import { toNode } from "../../src/adapters/to-node.js";
import type { Application } from "../../src/core/types.js";
import { listen, viaNative } from "./node-harness.js";

/** Echoes what the environ says of the request, then the request body. */
const echo: Application = async (environ, startResponse) => {
  const body = await environ["tsgi.input"].read();
  const info = {
    method: environ.REQUEST_METHOD,
    script: environ.SCRIPT_NAME,
    path: environ.PATH_INFO,
    query: environ.QUERY_STRING,
    uri: environ.REQUEST_URI,
    scheme: environ["tsgi.url_scheme"],
    type: environ.CONTENT_TYPE ?? null,
    foo: environ.HTTP_X_FOO ?? null,
    body: Buffer.from(body).toString(),
  };
  startResponse("201 Made", [
    ["Content-Type", "application/json"],
    ["Set-Cookie", "a=1"],
    ["Set-Cookie", "b=2"],
  ]);
  return [Buffer.from(JSON.stringify(info))];
};

const hosts: Array<[string, () => RequestListener | Promise<RequestListener>, string]> = [
  ["node:http", () => toNode(echo), ""],
  [
    "Express (app.use mount)",
    () => {
      const app = express();
      app.use("/mnt", toNode(echo));
      return app;
    },
    "/mnt",
  ],
  [
    "Koa (ctx.respond = false)",
    () => {
      const app = new Koa();
      const handler = toNode(echo);
      app.use(async (ctx) => {
        ctx.respond = false;
        await handler(ctx.req, ctx.res);
      });
      return app.callback();
    },
    "",
  ],
  [
    "Fastify (reply.hijack())",
    async () => {
      const app = Fastify();
      const handler = toNode(echo);
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", (_req, _payload, done) => done(null));
      app.all("/*", (request, reply) => {
        reply.hijack();
        void handler(request.raw, reply.raw);
      });
      await app.ready();
      return (req, res) => app.routing(req, res);
    },
    "",
  ],
];

describe("toNode", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.each(hosts)("runs a tsgi app inside %s", async (_name, make, mount) => {
    const server = await listen(await make());
    close = server.close;
    const res = await viaNative(server.port, {
      method: "POST",
      url: `${mount}/a%2Fb/c?x=1`,
      headers: { "content-type": "text/plain", "x-foo": "bar" },
      body: "hello body",
      chunked: true,
    });
    expect(res.status).toBe(201);
    expect(res.headers.filter(([name]) => name === "set-cookie")).toEqual([
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
    ]);
    expect(JSON.parse(res.body)).toEqual({
      method: "POST",
      script: mount,
      path: "/a/b/c",
      query: "x=1",
      uri: `${mount}/a%2Fb/c?x=1`,
      scheme: "http",
      type: "text/plain",
      foo: "bar",
      body: "hello body",
    });
  });

  it("streams the response: each chunk reaches the client before the app makes the next", async () => {
    const order: string[] = [];
    let arrived: () => void = () => {};
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return (async function* () {
        for (const part of ["one", "two", "three"]) {
          order.push(`app ${part}`);
          yield Buffer.from(part);
          await new Promise<void>((resolve) => {
            arrived = resolve;
          });
        }
      })();
    };
    const server = await listen(toNode(app));
    close = server.close;
    await new Promise<void>((resolve, reject) => {
      httpRequest({ host: "127.0.0.1", port: server.port, path: "/" }, (res) => {
        res.on("data", (part: Buffer) => {
          order.push(`client ${part}`);
          arrived();
        });
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
    expect(order).toEqual([
      "app one",
      "client one",
      "app two",
      "client two",
      "app three",
      "client three",
    ]);
  });

  it("fires tsgi.signal when the client leaves mid-stream", async () => {
    let aborted: (reason: unknown) => void = () => {};
    const gone = new Promise((resolve) => {
      aborted = resolve;
    });
    const app: Application = (environ, startResponse) => {
      environ["tsgi.signal"].addEventListener("abort", () =>
        aborted(environ["tsgi.signal"].reason),
      );
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return (async function* () {
        for (;;) {
          yield Buffer.from("tick\n");
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
    };
    const server = await listen(toNode(app));
    close = server.close;
    const req = httpRequest({ host: "127.0.0.1", port: server.port, path: "/" }, (res) => {
      res.once("data", () => req.destroy());
    });
    req.on("error", () => {});
    req.end();
    expect(await gone).toMatchObject({ code: "ERR_TSGI_CLIENT_GONE" });
  });
});
