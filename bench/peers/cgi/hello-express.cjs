// Express's hello world, for cgi-bin/app with TSGI_APP=.../hello-express.cjs: what an Express
// app costs under CGI on top of its own require (issue 8 §2).
const express = require("express");

const app = express();
app.get("/", (_req, res) => res.type("text/plain").send("Hello, world!\n"));

module.exports = app;
if (!module.parent) app.listen(3000);
