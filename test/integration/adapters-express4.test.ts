import { join } from "node:path";
import { ROOT } from "../fixtures/fastcgi/harness.js";
import { differentialSuite } from "../helpers/adapters-suite.js";

// Express 4 on node:http behind nginx proxy_pass, mounted at /app with
// `express4().use("/app", app)` as SCRIPT_NAME mounts it under tsgi (req.baseUrl, req.originalUrl).
differentialSuite("Express 4", join(ROOT, "test/fixtures/adapters/express4.cjs"), {
  mount: "express4",
});
