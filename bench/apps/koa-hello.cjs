// The Koa app of the adapters bench (issue 8 §4): hello world and a small JSON route.
const Koa = require("koa");
const USERS = require("./payload.cjs");

const app = new Koa();
app.use((ctx) => {
  if (ctx.path === "/json") ctx.body = USERS;
  else if (ctx.path === "/") ctx.body = "Hello, world!\n";
});

module.exports = app;
