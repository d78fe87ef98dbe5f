import { join } from "node:path";
import { ROOT } from "../fixtures/fastcgi/harness.js";
import { differentialSuite } from "../helpers/adapters-suite.js";

// Koa (with @koa/bodyparser) on node:http behind nginx proxy_pass; nginx strips /app, as
// fromNode gives Koa the path below SCRIPT_NAME.
differentialSuite("Koa", join(ROOT, "test/fixtures/adapters/koa.cjs"), { mount: "strip" });
