// node:http answering hello world, for nginx's proxy_pass (issue 10 §6): what a Node user runs
// behind nginx without FastCGI. One process, keep-alive to nginx.
// Usage: node bench/peers/node-http.mjs PORT
import { createServer } from "node:http";

const BODY = Buffer.from("Hello, world!\n");
const server = createServer((_req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.argv[2]), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
