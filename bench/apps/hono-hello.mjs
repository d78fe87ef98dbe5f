// The Hono app of the adapters bench (issue 8 §4): hello world and a small JSON route.
// The default export is the Hono app itself (what `tsgi fcgi` will detect); `tsgi` is the same
// app wrapped by hand, for a tsgi whose loader does not detect fetch handlers yet; `tsgiPlain`
// without fromFetch's lightResponse (undici's Response as is).
import { Hono } from "hono";
import { fromFetch } from "../../dist/index.js";
import USERS from "./payload.cjs";

const app = new Hono();
app.get("/", (c) => c.text("Hello, world!\n"));
app.get("/json", (c) => c.json(USERS));
// As most real handlers are: the Response is made after an await (bench/micro only).
app.get("/async", async (c) => {
  await Promise.resolve();
  return c.json(USERS);
});

export default app;
export const tsgi = fromFetch(app);
export const tsgiPlain = fromFetch(app, { lightResponse: false });
