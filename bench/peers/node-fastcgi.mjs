// node-fastcgi 2.0.0's hello world, written as its README shows (createServer(req, res)).
// Usage: node bench/peers/node-fastcgi.mjs PORT
import fcgi from "node-fastcgi";

const port = Number(process.argv[2] ?? 9000);
fcgi
  .createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("Hello, world!\n");
  })
  .listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
