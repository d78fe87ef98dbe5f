/**
 * APP on the command line (design §2): a module path resolved against the working directory,
 * optionally `path:exportName`. The CGI front-end owns the loader so `tsgi cgi`, `tsgi run` and
 * `runCgiModule` load apps the same way; the commands turn an AppLoadError into exit code 2.
 */
export {
  AppLoadError,
  importAppSpec as loadApp,
} from "../frontends/cgi/load-app.js";
