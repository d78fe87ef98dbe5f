// Bare node:http hello world: the native reference for tsgi's own hello (examples/hello.mjs).
// Usage: node bench/apps/node-hello.mjs PORT
import http from "node:http";

const BODY = Buffer.from("Hello, world!\n");
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2]), "127.0.0.1");
