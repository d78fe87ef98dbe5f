import type { RequestListener, Server } from "node:http";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromNode, type NodeHandler } from "../../src/adapters/node.js";
import type { Application } from "../../src/core/types.js";
import {
  connectApp,
  express4,
  expressApp,
  fastifyApp,
  koaApp,
  plainListener,
  plainServer,
} from "./node-apps.js";
import { type Case, listen, viaNative, viaTsgi } from "./node-harness.js";

// Issue 8 §3: each case through fromNode + inject() must equal the same app on node:http, in
// status, headers (less Date/Connection/Keep-Alive/Transfer-Encoding) and body bytes.

const json = { "content-type": "application/json" };
const form = { "content-type": "application/x-www-form-urlencoded" };

/** What the Express, Koa and Fastify apps all answer (Fastify refuses urlencoded: 415 both ways). */
const common: Array<[string, Case]> = [
  ["a route", { url: "/hello" }],
  ["a JSON body", { method: "POST", url: "/json", headers: json, body: '{"a":[1,2],"b":"é"}' }],
  ["a urlencoded body", { method: "POST", url: "/form", headers: form, body: "a=1&b=two+words" }],
  [
    "a chunked JSON upload",
    { method: "POST", url: "/json", headers: json, body: '{"c":1}', chunked: true },
  ],
  ["several Set-Cookie", { url: "/cookies" }],
  ["a redirect", { url: "/redirect" }],
  ["a thrown error and the error handler", { url: "/error" }],
  ["404", { url: "/nowhere" }],
  [
    "404 with an unread body",
    { method: "POST", url: "/nowhere", headers: json, body: "x".repeat(100_000) },
  ],
  ["HEAD", { method: "HEAD", url: "/hello" }],
  ["204", { url: "/empty" }],
];

const expressCases: Array<[string, Case]> = [
  ...common,
  ["route and query params", { url: "/users/42?sort=desc&tag=a&tag=b" }],
  ["an ETag", { url: "/etag" }],
  [
    "304 for If-None-Match",
    { url: "/etag", headers: { "if-none-match": 'W/"13-Ll7W7c9uvrkN1z/5+gxOMhURfMw"' } },
  ],
  ["a 512 KiB body", { url: "/big" }],
  ["res.sendFile", { url: "/file" }],
  ["res.sendFile with a Range", { url: "/file", headers: { range: "bytes=10-99" } }],
  ["res.download", { url: "/download" }],
  ["HEAD of a file", { method: "HEAD", url: "/file" }],
  ["%2F in the path", { url: "/raw/a%2Fb/c?x=%2F" }],
  ["%FF in the path", { url: "/raw/%FF%fe/x" }],
  ["dot segments", { url: "/raw/a/../b" }],
  ["a bad JSON body", { method: "POST", url: "/json", headers: json, body: "{nope" }],
];

const koaCases: Array<[string, Case]> = [...common, ["query", { url: "/query?a=1&a=2&b=%2F" }]];

const connectCases: Array<[string, Case]> = [
  ["a route", { url: "/hello" }],
  ["an echoed body", { method: "POST", url: "/echo", body: "y".repeat(70_000) }],
  ["a chunked upload", { method: "POST", url: "/echo", body: "z".repeat(50_000), chunked: true }],
  ["a thrown error", { url: "/error" }],
  ["404", { url: "/nowhere" }],
];

const fastifyCases: Array<[string, Case]> = [
  ...common,
  ["route and query params", { url: "/users/7?q=1" }],
  ["writeHead(status, object) on reply.raw", { url: "/head" }],
];

const plainCases: Array<[string, Case]> = [
  ["writeHead with a reason and cookies", { url: "/head" }],
  ["404", { method: "DELETE", url: "/x?y" }],
  ["a latin-1 header before a string body", { url: "/latin1-string" }],
  ["a latin-1 header before a Buffer body", { url: "/latin1-buffer" }],
  ["base64 writes", { url: "/base64" }],
];

function differential(
  name: string,
  make: () => { handler: NodeHandler; native: RequestListener | Server },
  cases: Array<[string, Case]>,
) {
  describe(name, () => {
    let app: Application;
    let port: number;
    let close: () => Promise<void>;
    beforeAll(async () => {
      const { handler, native } = make();
      app = fromNode(handler);
      ({ port, close } = await listen(native));
    });
    afterAll(() => close());
    it.each(cases)("%s", async (_name, c) => {
      const [reference, seen] = [await viaNative(port, c), await viaTsgi(app, c)];
      expect(seen).toEqual(reference);
    });
  });
}

differential(
  "Express 5",
  () => ({ handler: expressApp(express), native: expressApp(express) }),
  expressCases,
);
differential(
  "Express 4",
  () => ({ handler: expressApp(express4), native: expressApp(express4) }),
  expressCases,
);
differential("Connect", () => ({ handler: connectApp(), native: connectApp() }), connectCases);
differential("Koa (the app)", () => ({ handler: koaApp(), native: koaApp().callback() }), koaCases);
differential(
  "Koa (app.callback())",
  () => ({ handler: koaApp().callback(), native: koaApp().callback() }),
  koaCases,
);
differential(
  "Fastify",
  () => {
    const native = fastifyApp();
    const handler = fastifyApp();
    return {
      handler,
      native: (req, res) => void native.ready().then(() => native.routing(req, res)),
    };
  },
  fastifyCases,
);
differential(
  "an http.Server",
  () => ({ handler: plainServer(), native: plainListener }),
  plainCases,
);
differential(
  "a request listener",
  () => ({ handler: plainListener, native: plainListener }),
  plainCases,
);
