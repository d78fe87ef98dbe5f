// The floor for a Node FastCGI responder: it frames records and nothing else. No params are
// decoded, no app runs; every request gets the same precomputed answer. tsgi's goal is 0.8x this.
// Usage: node bench/peers/bare-responder.mjs PORT
import net from "node:net";

const BEGIN_REQUEST = 1;
const END_REQUEST = 3;
const STDIN = 5;
const STDOUT = 6;
const KEEP_CONN = 1; // FastCGI 1.0 §5.1: FCGI_BEGIN_REQUEST flags

const BODY = Buffer.from(
  "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n",
  "latin1",
);

/** FastCGI 1.0 §3.3: version, type, requestId, contentLength, paddingLength, reserved. */
function header(type, content) {
  return Buffer.from([1, type, 0, 0, content >> 8, content & 0xff, 0, 0]);
}

// STDOUT(body), STDOUT(empty: end of stream), END_REQUEST(appStatus 0, FCGI_REQUEST_COMPLETE).
const ANSWER = Buffer.concat([
  header(STDOUT, BODY.length),
  BODY,
  header(STDOUT, 0),
  header(END_REQUEST, 8),
  Buffer.alloc(8),
]);
const ID_OFFSETS = [2, 8 + BODY.length + 2, 16 + BODY.length + 2];

function answer(id) {
  const out = Buffer.from(ANSWER);
  for (const at of ID_OFFSETS) out.writeUInt16BE(id, at);
  return out;
}

function serve(socket) {
  let pending = Buffer.alloc(0);
  const keep = new Map(); // requestId -> FCGI_KEEP_CONN
  socket.on("data", (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= 8) {
      const type = pending[at + 1];
      const id = pending.readUInt16BE(at + 2);
      const length = pending.readUInt16BE(at + 4);
      const end = at + 8 + length + pending[at + 6];
      if (pending.length < end) break;
      if (type === BEGIN_REQUEST) keep.set(id, (pending[at + 10] & KEEP_CONN) !== 0);
      else if (type === STDIN && length === 0) {
        socket.write(answer(id));
        if (!keep.get(id)) socket.end();
        keep.delete(id);
      }
      at = end;
    }
    pending = pending.subarray(at);
  });
  socket.on("error", () => socket.destroy());
}

const port = Number(process.argv[2] ?? 9000);
net.createServer(serve).listen(port, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
