import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { bodyParser } from "@koa/bodyparser";
import connect from "connect";
import type express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import Koa from "koa";

/** Express 4 is installed as "express4"; its API is Express 5's for what these apps use. */
export const express4 = createRequire(import.meta.url)("express4") as typeof express;

const BIG = Buffer.alloc(256 * 1024, "x");

/** One Express app exercising what issue 8 §3 lists; the same code runs on Express 4 and 5. */
export function expressApp(make: typeof express) {
  const app = make();
  app.set("trust proxy", "loopback");
  app.get("/hello", (_req, res) => {
    res.send("hello");
  });
  app.get("/users/:id", (req, res) => {
    res.json({ id: req.params.id, query: req.query });
  });
  app.post("/json", make.json(), (req, res) => {
    res.json({ got: req.body });
  });
  app.post("/form", make.urlencoded({ extended: false }), (req, res) => {
    res.json({ got: req.body });
  });
  app.get("/cookies", (_req, res) => {
    res.cookie("a", "1");
    res.cookie("b", "2", { httpOnly: true, path: "/x" });
    res.send("cookies");
  });
  app.get("/redirect", (_req, res) => {
    res.redirect("/hello");
  });
  app.get("/error", () => {
    throw new Error("boom");
  });
  app.get("/empty", (_req, res) => {
    res.status(204).end();
  });
  app.get("/etag", (_req, res) => {
    res.send("a body with an etag");
  });
  app.get("/big", (_req, res) => {
    res.write(BIG);
    res.end(BIG);
  });
  app.get("/file", (_req, res, next) => {
    res.sendFile(fileURLToPath(import.meta.url), (error) => error && next(error));
  });
  app.get("/download", (_req, res) => {
    res.download(fileURLToPath(import.meta.url), "apps.ts");
  });
  app.get("/who", (req, res) => {
    res.json({ ip: req.ip, protocol: req.protocol, secure: req.secure, host: req.hostname });
  });
  app.use("/raw", (req, res) => {
    res.json({ url: req.url, originalUrl: req.originalUrl, baseUrl: req.baseUrl, path: req.path });
  });
  app.use(
    (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ error: error.message });
    },
  );
  return app;
}

/** A Connect app: middleware on plain req/res. */
export function connectApp() {
  const app = connect();
  app.use("/hello", (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("Content-Type", "text/plain");
    res.end("hello from connect");
  });
  app.use("/echo", (req: IncomingMessage, res: ServerResponse) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      res.setHeader("X-Length", String(Buffer.concat(parts).length));
      res.end(Buffer.concat(parts));
    });
  });
  app.use("/error", () => {
    throw new Error("connect boom");
  });
  app.use((error: Error, _req: IncomingMessage, res: ServerResponse, _next: () => void) => {
    res.statusCode = 500;
    res.end(`connect error: ${error.message}`);
  });
  return app;
}

/** A Koa app with @koa/bodyparser. */
export function koaApp() {
  const app = new Koa();
  app.silent = true;
  app.use(bodyParser({ enableTypes: ["json", "form", "text"] }));
  app.use(async (ctx, next) => {
    if (ctx.path === "/hello") ctx.body = "hello from koa";
    else if (ctx.path === "/json" && ctx.method === "POST") ctx.body = { got: ctx.request.body };
    else if (ctx.path === "/form" && ctx.method === "POST") ctx.body = { got: ctx.request.body };
    else if (ctx.path === "/query") ctx.body = { query: ctx.query, url: ctx.url };
    else if (ctx.path === "/cookies") {
      ctx.cookies.set("a", "1");
      ctx.cookies.set("b", "2", { httpOnly: false });
      ctx.body = "cookies";
    } else if (ctx.path === "/redirect") ctx.redirect("/hello");
    else if (ctx.path === "/error") throw new Error("koa boom");
    else if (ctx.path === "/empty") ctx.status = 204;
    else await next();
  });
  return app;
}

/** A Fastify instance (not listening; the tests start and stop it). */
export function fastifyApp(): FastifyInstance {
  const app = Fastify();
  app.get("/hello", async () => "hello from fastify");
  app.get("/users/:id", async (req) => ({
    id: (req.params as { id: string }).id,
    query: req.query,
  }));
  app.post("/json", async (req) => ({ got: req.body }));
  app.get("/cookies", async (_req, reply) => {
    reply.header("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"]);
    return "cookies";
  });
  app.get("/redirect", async (_req, reply) => reply.redirect("/hello"));
  app.get("/error", async () => {
    throw new Error("fastify boom");
  });
  app.get("/empty", async (_req, reply) => reply.code(204).send());
  app.get("/head", async (_req, reply) => {
    reply.raw.writeHead(201, { "x-raw": "yes", "content-type": "text/plain" });
    reply.raw.end("raw");
    return reply;
  });
  return app;
}

/** A plain listener, as http.createServer takes it. */
export const plainListener: RequestListener = (req, res) => {
  if (req.url === "/head") {
    res.writeHead(200, "Fine", { "X-A": "1", "Set-Cookie": ["x=1", "y=2"] });
    res.end("plain");
  } else if (req.url === "/latin1-string") {
    // Node writes head and a string body together as UTF-8: é goes out as two bytes.
    res.setHeader("X-Name", "caf\u00e9");
    res.end("caf\u00e9 body");
  } else if (req.url === "/latin1-buffer") {
    res.setHeader("X-Name", "caf\u00e9");
    res.end(Buffer.from("buffer body"));
  } else if (req.url === "/base64") {
    res.setHeader("Content-Type", "text/plain");
    res.write("aGVsbG8g", "base64");
    res.end("d29ybGQ=", "base64");
  } else {
    res.statusCode = 404;
    res.end(`no ${req.method} ${req.url}`);
  }
};

/** An http.Server whose 'request' listener is the app. */
export function plainServer() {
  return createServer(plainListener);
}
