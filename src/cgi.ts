/**
 * `tsgi/cgi`: run an application as a CGI script (PEP 3333's run_with_cgi, RFC 3875).
 * This entry loads only the core, the CGI codec and this front-end: a CGI process starts for
 * every request.
 */

export {
  parseEnvironBlock,
  readRawEnvironment,
  scrubRequestHeaders,
} from "./frontends/cgi/environment.js";
export { AppLoadError, parseAppSpec, resolveApp } from "./frontends/cgi/load-app.js";
export {
  type CgiModuleOptions,
  type CgiOptions,
  EXIT_BROKEN,
  EXIT_NOT_CGI,
  EXIT_OK,
  runCgiModule,
  runWithCgi,
} from "./frontends/cgi.js";
export type * from "./types.js";
