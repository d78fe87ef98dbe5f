import { join } from "node:path";
import { ROOT } from "../fixtures/fastcgi/harness.js";
import { differentialSuite } from "../helpers/adapters-suite.js";

// Fastify's own listen() behind nginx proxy_pass; nginx strips /app, as fromNode gives
// Fastify the path below SCRIPT_NAME.
differentialSuite("Fastify", join(ROOT, "test/fixtures/adapters/fastify.cjs"), { mount: "strip" });
