// node --require (or mocha --require): every http.createServer(listener) in the process becomes
// http.createServer(toNode(fromNode(listener))), so a framework's own unit suite, which builds
// its apps inline and serves them on node:http, runs through both of tsgi's Node adapters: the
// real request becomes an environ (toNode), the environ a genuine req/res pair again (fromNode).
//
//   cd /tmp/express && npx mocha --require test/support/env --require TSGI/acceptance/roundtrip.cjs test/ test/acceptance/
//   cd /tmp/koa && NODE_OPTIONS="--require TSGI/acceptance/roundtrip.cjs" node --test
const http = require("node:http");
const path = require("node:path");
const { fromNode, toNode } = require(path.join(__dirname, "..", "dist", "index.cjs"));

const createServer = http.createServer;
http.createServer = function (...args) {
  const at = args.findIndex((arg) => typeof arg === "function");
  if (at >= 0) args[at] = toNode(fromNode(args[at]));
  return createServer.apply(this, args);
};
