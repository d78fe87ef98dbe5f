// Serves one of the adapters bench's framework apps natively, the way it is deployed behind
// nginx `proxy_pass`: Express and Koa on node:http, Hono on @hono/node-server.
// Usage: node bench/apps/native.mjs express|koa|hono PORT
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [kind, portText] = process.argv.slice(2);
const port = Number(portText);

let server;
if (kind === "hono") {
  const { serve } = await import("@hono/node-server");
  const { default: app } = await import("./hono-hello.mjs");
  server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
} else if (kind === "express" || kind === "koa") {
  const app = require(`./${kind}-hello.cjs`);
  server = http.createServer(kind === "koa" ? app.callback() : app);
  server.listen(port, "127.0.0.1");
} else {
  console.error(`native.mjs: unknown app ${JSON.stringify(kind)} (express, koa or hono)`);
  process.exit(2);
}
// nginx's upstream keepalive holds connections open between runs.
server.keepAliveTimeout = 60_000;
