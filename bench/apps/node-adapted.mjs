// The Express and Koa apps of the adapters bench as tsgi apps, through fromNode (issue 8 §1),
// and a bare listener.
// `tsgi fcgi bench/apps/node-adapted.mjs:express` (or `:koa`) until the loader detects them.
import { createRequire } from "node:module";
import * as tsgi from "../../dist/index.js";

const require = createRequire(import.meta.url);
if (typeof tsgi.fromNode !== "function") {
  throw new Error("fromNode is not in dist/index.js: this tsgi has no Node adapter yet");
}
export const express = tsgi.fromNode(require("./express-hello.cjs"));
export const koa = tsgi.fromNode(require("./koa-hello.cjs"));

// The listener of bench/apps/node-hello.mjs through fromNode: what the adapter itself costs
// behind nginx, with no framework in the way.
const BODY = Buffer.from("Hello, world!\n");
export const bare = tsgi.fromNode((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": BODY.length });
  res.end(BODY);
});
