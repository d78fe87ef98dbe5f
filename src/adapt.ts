/**
 * The adapters as the app loader uses them (issue 8 §2): an Express, Connect, Koa, Fastify or
 * http.Server export goes through fromNode, a fetch handler through fromFetch. Each adapter is
 * imported on first use, so a plain tsgi app (and its CGI start-up) never loads one. The
 * front-ends may not import adapters (test/architecture.test.ts); the entry files and the CLI
 * bind this function into the loader instead.
 */
import type { FetchApp } from "./adapters/fetch.js";
import type { NodeHandler } from "./adapters/node.js";
import type { Adapt } from "./frontends/cgi/load-app.js";

export const adaptApp: Adapt = async (kind, handler) => {
  if (kind === "node") {
    const { fromNode } = await import("./adapters/node.js");
    return fromNode(handler as NodeHandler);
  }
  const { fromFetch } = await import("./adapters/fetch.js");
  return fromFetch(handler as FetchApp);
};
