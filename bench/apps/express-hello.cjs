// The Express app of the adapters bench (issue 8 §4): hello world and a small JSON route, as an
// Express user writes them (res.send sets Content-Type, Content-Length and an ETag).
const express = require("express");
const USERS = require("./payload.cjs");

const app = express();
app.get("/", (_req, res) => {
  res.type("text/plain").send("Hello, world!\n");
});
app.get("/json", (_req, res) => {
  res.json(USERS);
});

module.exports = app;
