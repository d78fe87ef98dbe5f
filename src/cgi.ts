/**
 * `tsgi/cgi`: run an application as a CGI script (PEP 3333's run_with_cgi, RFC 3875).
 * This entry loads only the core, the CGI codec and this front-end: a CGI process starts for
 * every request.
 */

export type { AppKind } from "./frontends/cgi/app-kind.js";
export {
  parseEnvironBlock,
  readRawEnvironment,
  scrubRequestHeaders,
} from "./frontends/cgi/environment.js";
export { AppLoadError, parseAppSpec, resolveApp } from "./frontends/cgi/load-app.js";

import { adaptApp } from "./adapt.js";
import { type CgiModuleOptions, runCgiModule as runModule } from "./frontends/cgi.js";

export {
  type CgiModuleOptions,
  type CgiOptions,
  EXIT_BROKEN,
  EXIT_NOT_CGI,
  EXIT_OK,
  runWithCgi,
} from "./frontends/cgi.js";

/**
 * Like runWithCgi, but loads the app only after the environ is built and HTTP_* is gone from
 * `process.env` (httpoxy). `target` is a module spec (`path/app.mjs[:exportName]`) or a loader
 * such as `() => import("./app.mjs")`. The module may export a tsgi app, an Express, Connect,
 * Koa or Fastify app, an http.Server or a fetch handler (Hono, `{ fetch }`): the adapter it
 * needs loads then, and only then (docs/adapters.md). A module that cannot load is a 500 and
 * one log line.
 */
export function runCgiModule(
  target: string | (() => unknown),
  options: CgiModuleOptions = {},
): Promise<number> {
  return runModule(target, { adapt: adaptApp, ...options });
}
export type * from "./types.js";
