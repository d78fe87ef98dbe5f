// What an Express hello's first request costs on node:http in a fresh process (cold code: the
// router, res.send, etag), to set against "Express under CGI" in bench/cgi-startup.mjs: a CGI
// process serves exactly one such request, and node:http would pay this part too.
//
//   node bench/micro/express-first-request.cjs
//
// Prints the milliseconds from the app module loaded to the response written, fed over an
// in-memory socket (no kernel), and the module's load time.
const loadStart = performance.now();
const app = require("../peers/cgi/hello-express.cjs");
const loaded = performance.now();
const http = require("node:http");
const { Duplex } = require("node:stream");

const server = http.createServer(app);
const socket = new Duplex({
  read() {},
  write(chunk, _encoding, callback) {
    callback();
    if (!String(chunk).includes("Hello")) return;
    const ms = (performance.now() - loaded).toFixed(1);
    const load = (loaded - loadStart).toFixed(1);
    console.log(`Express hello, first request on node:http: ${ms} ms (module load ${load} ms)`);
    process.exit(0);
  },
});
socket.remoteAddress = "127.0.0.1";
socket.setTimeout = () => socket;
socket.setNoDelay = () => socket;
socket.setKeepAlive = () => socket;
server.emit("connection", socket);
socket.push(Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
