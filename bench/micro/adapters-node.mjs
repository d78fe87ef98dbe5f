// fromNode's cost per request, in-process and without any I/O: an Express and a Koa hello world
// (and a bare `res.end("hello")` listener) through fromNode + the core's runApp, against the same
// listener on node:http, whose server is fed the bytes of a keep-alive `GET /` over an
// in-memory Duplex (Node's own parser and serialiser, no kernel). Both sides skip the transport
// (FastCGI records, TCP), so the difference is what fromNode adds or saves over node:http.
// Two more rows bound it: a tsgi app with no adapter (the core and environ alone), and a genuine
// req/res pair with nothing around it (what any adapter handing out genuine objects pays), and
// the harness alone, to subtract from every row.
//
//   npm run build && node bench/micro/adapters-node.mjs [--seconds 2] [--rounds 5] [--only NAME]
//
// Prints per case the median µs of CPU (process.cpuUsage) per request over the rounds.

import { createServer, IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { Duplex } from "node:stream";
import { parseArgs } from "node:util";
import { fromNode, runApp } from "../../dist/index.js";
import { environFor, nullSink } from "./environ.mjs";

const require = createRequire(import.meta.url);
const express = require("express");
const Koa = require("koa");

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    rounds: { type: "string", default: "5" },
    only: { type: "string", default: "" },
  },
});

function expressHello() {
  const app = express();
  app.get("/", (_req, res) => res.send("hello"));
  return app;
}

// Koa answers after its middleware promise settles: the response ends in a microtask after
// the listener returned, so fromNode takes its async path.
function koaHello() {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = "hello";
  });
  return app;
}

const bare = (_req, res) => {
  res.setHeader("Content-Type", "text/plain");
  res.end("hello");
};

/** One request through fromNode and runApp, as the FastCGI front-end makes it. */
function viaTsgi(app) {
  return runApp(app, environFor("/"), sink);
}

let bytes = 0;
const sink = {
  ...nullSink,
  write(chunk) {
    bytes += chunk.length;
  },
};

/** A node:http server fed a keep-alive `GET /` at a time over an in-memory socket. */
function nativeDriver(listener) {
  const server = createServer(listener);
  let done = null;
  const socket = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      bytes += chunk.length;
      // Each response is one write here (head and body corked together by res.end).
      if (done) {
        const resolve = done;
        done = null;
        callback();
        resolve();
        return;
      }
      callback();
    },
  });
  socket.remoteAddress = "127.0.0.1";
  socket.setTimeout = () => socket;
  socket.setNoDelay = () => socket;
  socket.setKeepAlive = () => socket;
  server.emit("connection", socket);
  const request = Buffer.from(
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
  );
  return () =>
    new Promise((resolve) => {
      done = resolve;
      socket.push(request);
    });
}

async function measure(run, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const start = process.cpuUsage();
  while (performance.now() < deadline) {
    // One request per macrotask, as each arrives in its own I/O callback in a server: Node's
    // nextTick queue (finish, close, end) runs between them, not after a long microtask run.
    for (let i = 0; i < 200; i++) {
      await run();
      await new Promise(setImmediate);
    }
    count += 200;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/** A tsgi app with no adapter: what the core and the environ cost on their own. */
const tsgiHello = (_environ, startResponse) => {
  startResponse("200 OK", [["Content-Type", "text/plain"]]);
  return [HELLO];
};
const HELLO = Buffer.from("hello");

/**
 * The floor under any adapter that hands a listener genuine objects: an IncomingMessage and a
 * ServerResponse on one reused socket that drops what it is given, the head serialised by Node,
 * no parser, no transport, no tsgi.
 */
function reqResPair() {
  const socket = new Duplex({ read() {}, write: (_chunk, _encoding, callback) => callback() });
  return () => {
    const req = new IncomingMessage(socket);
    req.method = "GET";
    req.url = "/";
    const res = new ServerResponse(req);
    res.sendDate = false;
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    bare(req, res);
    res.detachSocket(socket);
    req.push(null);
    bytes += 1;
  };
}

const cases = [
  ["express hello: node:http (in-memory socket)", nativeDriver(expressHello())],
  [
    "express hello: fromNode + runApp",
    (
      (app) => () =>
        viaTsgi(app)
    )(fromNode(expressHello())),
  ],
  ["koa hello: node:http (in-memory socket)", nativeDriver(koaHello().callback())],
  [
    "koa hello: fromNode + runApp",
    (
      (app) => () =>
        viaTsgi(app)
    )(fromNode(koaHello())),
  ],
  ["bare listener: node:http (in-memory socket)", nativeDriver(bare)],
  ["bare listener: req/res pair only (the floor)", reqResPair()],
  ["tsgi hello: runApp, no adapter", () => runApp(tsgiHello, environFor("/"), sink)],
  // What the loop itself costs per request (the setImmediate between them): subtract it.
  [
    "the harness alone (no request)",
    () => {
      bytes += 1;
    },
  ],
  [
    "bare listener: fromNode + runApp",
    (
      (app) => () =>
        viaTsgi(app)
    )(fromNode(bare)),
  ],
];

const seconds = Number(opts.seconds);
// --only "koa hello: fromNode": the cases whose name contains it (to profile one with --cpu-prof).
if (opts.only) cases.splice(0, cases.length, ...cases.filter(([name]) => name.includes(opts.only)));
const results = new Map(cases.map(([name]) => [name, []]));
for (const [, run] of cases) await measure(run, 0.5); // warm up
for (let round = 0; round < Number(opts.rounds); round++) {
  for (const [name, run] of cases) results.get(name).push(await measure(run, seconds));
}
for (const [name, values] of results) {
  values.sort((a, b) => a - b);
  const median = values[Math.floor(values.length / 2)];
  console.log(
    `${name.padEnd(46)} ${median.toFixed(2)} µs CPU/req  (${values.map((v) => v.toFixed(2)).join(" ")})`,
  );
}
if (bytes === 0) throw new Error("nothing was written");
