import { join } from "node:path";
import { ROOT } from "../fixtures/fastcgi/harness.js";
import { differentialSuite } from "../helpers/adapters-suite.js";

// Hono natively on @hono/node-server behind nginx proxy_pass, against tsgi via fromFetch. A
// fetch handler sees the whole URL on every server: nginx passes /app/... to the reference, and
// the fixture routes under / and /app alike.
differentialSuite("Hono", join(ROOT, "test/fixtures/adapters/hono.mjs"), {
  mount: "keep",
  // A string body's Content-Type: @hono/node-server's own lightweight Response writes
  // "text/plain; charset=UTF-8", the platform's Response (what fromFetch gets) the Fetch
  // standard's "text/plain;charset=UTF-8". The same media type (RFC 9110 §8.3.1).
  normalize: (name, value) =>
    name === "content-type" ? value.replace("; charset", ";charset") : value,
});
