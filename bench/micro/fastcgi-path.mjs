// The FastCGI hello-world path without nginx: this process plays nginx (keep-conn connections,
// one request in flight on each, the records nginx sends for `GET /` with Debian's stock
// fastcgi_params) and measures the backend's CPU time per request. The backend runs in its own
// process on the other core, as behind nginx; its CPU comes from the schedstat of every thread
// (ns resolution), so a few seconds give a stable number to compare two builds by.
//
//   npm run build && node bench/micro/fastcgi-path.mjs [--backend tsgi,bare,tsgi:DIR] [--seconds 5]
//     [--rounds 3] [--conns 32] [--app examples/hello.mjs] [--node-args="--cpu-prof"] [--pin]
//
// --pin puts this process on CPU 0 and the backend on CPU 1 (taskset): without it the
// scheduler sometimes runs both on one core, and a round reads ~3 µs/req higher.
//
// Prints one line per backend: median µs of backend CPU per request, of which user time (JS and
// V8: what a change to tsgi moves; kernel time is the noisier half), and req/s (which the
// client, a single JS thread, may cap: trust µs/req).
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

const { values: opts } = parseArgs({
  options: {
    backend: { type: "string", default: "tsgi,bare" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    conns: { type: "string", default: "32" },
    app: { type: "string", default: "examples/hello.mjs" },
    "node-args": { type: "string", default: "" },
    pin: { type: "boolean", default: false },
  },
});

// What nginx 1.22 sends for `GET /` through /etc/nginx/fastcgi_params (empty values included).
const PARAMS = [
  ["QUERY_STRING", ""],
  ["REQUEST_METHOD", "GET"],
  ["CONTENT_TYPE", ""],
  ["CONTENT_LENGTH", ""],
  ["SCRIPT_NAME", "/"],
  ["REQUEST_URI", "/"],
  ["DOCUMENT_URI", "/"],
  ["DOCUMENT_ROOT", "/usr/share/nginx/html"],
  ["SERVER_PROTOCOL", "HTTP/1.1"],
  ["REQUEST_SCHEME", "http"],
  ["GATEWAY_INTERFACE", "CGI/1.1"],
  ["SERVER_SOFTWARE", "nginx/1.22.1"],
  ["REMOTE_ADDR", "127.0.0.1"],
  ["REMOTE_PORT", "51234"],
  ["REMOTE_USER", ""],
  ["SERVER_ADDR", "127.0.0.1"],
  ["SERVER_PORT", "8080"],
  ["SERVER_NAME", "localhost"],
  ["REDIRECT_STATUS", "200"],
  ["HTTP_HOST", "127.0.0.1"],
];

// FastCGI 1.0 §3.3: a record padded to a multiple of 8, as nginx pads them.
function record(type, id, content = Buffer.alloc(0)) {
  const padding = -content.length & 7;
  const head = Buffer.from([
    1,
    type,
    id >> 8,
    id & 0xff,
    content.length >> 8,
    content.length & 0xff,
    padding,
    0,
  ]);
  return Buffer.concat([head, content, Buffer.alloc(padding)]);
}

function pairs(list) {
  const parts = [];
  for (const [name, value] of list) {
    parts.push(Buffer.from([name.length, value.length]), Buffer.from(name + value, "latin1"));
  }
  return Buffer.concat(parts);
}

// BEGIN_REQUEST (RESPONDER, FCGI_KEEP_CONN), PARAMS, empty PARAMS, empty STDIN: one write.
const REQUEST = Buffer.concat([
  record(1, 1, Buffer.from([0, 1, 1, 0, 0, 0, 0, 0])),
  record(4, 1, pairs(PARAMS)),
  record(4, 1),
  record(5, 1),
]);
const END_REQUEST = 3;

/** One keep-conn connection: a request, wait for its END_REQUEST, the next one. */
function drive(port, counter) {
  const socket = net.connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  socket.on("connect", () => socket.write(REQUEST));
  socket.on("data", (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    while (pending.length - at >= 8) {
      const end = at + 8 + pending.readUInt16BE(at + 4) + pending[at + 6];
      if (pending.length < end) break;
      if (pending[at + 1] === END_REQUEST) {
        counter.done++;
        if (!counter.stop) socket.write(REQUEST);
      }
      at = end;
    }
    pending = pending.subarray(at);
  });
  socket.on("error", (error) => {
    if (!counter.stop) throw error;
  });
  return socket;
}

/** ns of CPU every thread of pid has run (schedstat field 1). */
function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]);
    } catch {
      // the thread exited meanwhile
    }
  }
  return total;
}

/** [user, system] CPU seconds of pid, all threads (/proc/PID/stat utime, stime; 100 ticks/s). */
function cpuSplit(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1].split(" ");
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// "tsgi" runs dist/; "tsgi:DIR" runs a copy of dist/ kept in DIR, to compare two builds in
// interleaved rounds (the machine's other load shifts both alike).
function command(backend, port) {
  const nodeArgs = opts["node-args"].split(" ").filter(Boolean);
  if (backend === "bare") return [...nodeArgs, "bench/peers/bare-responder.mjs", String(port)];
  const dist = backend.startsWith("tsgi:") ? backend.slice(5) : "dist";
  return [
    ...nodeArgs,
    join(dist, "cli/main.js"),
    "fcgi",
    opts.app,
    "--listen",
    `127.0.0.1:${port}`,
  ];
}

async function measure(backend) {
  const port = await freePort();
  const argv = [process.execPath, ...command(backend, port)];
  if (opts.pin) argv.unshift("taskset", "-c", "1");
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, stdio: "inherit" });
  try {
    await waitForPort(port);
    const counter = { done: 0, stop: false };
    const sockets = Array.from({ length: Number(opts.conns) }, () => drive(port, counter));
    await sleep(1000); // warm-up: JIT, connections
    const startCpu = cpuNs(child.pid);
    const startSplit = cpuSplit(child.pid);
    const startDone = counter.done;
    const started = process.hrtime.bigint();
    await sleep(Number(opts.seconds) * 1000);
    const cpu = cpuNs(child.pid) - startCpu;
    const endSplit = cpuSplit(child.pid);
    const requests = counter.done - startDone;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    counter.stop = true;
    for (const socket of sockets) socket.destroy();
    return {
      usPerReq: cpu / 1000 / requests,
      userUsPerReq: ((endSplit[0] - startSplit[0]) * 1e6) / requests,
      reqPerSec: requests / seconds,
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (opts.pin) execFileSync("taskset", ["-cp", "0", String(process.pid)], { stdio: "ignore" });
const backends = opts.backend.split(",");
const results = new Map(backends.map((b) => [b, []]));
for (let round = 0; round < Number(opts.rounds); round++) {
  for (const backend of backends) results.get(backend).push(await measure(backend));
}
for (const [backend, runs] of results) {
  const us = runs.map((r) => r.usPerReq);
  const rps = runs.map((r) => r.reqPerSec);
  const user = runs.map((r) => r.userUsPerReq);
  console.log(
    `${backend.padEnd(12)} ${median(us).toFixed(2)} µs/req (${us.map((u) => u.toFixed(2)).join(", ")})  user ${median(user).toFixed(2)} (${user.map((u) => u.toFixed(2)).join(", ")})  ${Math.round(median(rps))} req/s`,
  );
}
