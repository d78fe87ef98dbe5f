/**
 * APP on the command line (design §2): a module path resolved against the working directory,
 * optionally `path:exportName`. The CGI front-end owns the loader so `tsgi cgi`, `tsgi run` and
 * `runCgiModule` load apps the same way; the commands turn an AppLoadError into exit code 2.
 * Here the CLI hands the loader the adapters, which load only for an app that needs them.
 */
import { adaptApp } from "../adapt.js";
import type { AppKind } from "../frontends/cgi/app-kind.js";
import { importAppSpec } from "../frontends/cgi/load-app.js";
import type { Application } from "../types.js";

export { AppLoadError } from "../frontends/cgi/load-app.js";

/** Loads APP; `adapter` is `--adapter` (what a bare function is), default detected. */
export function loadApp(spec: string, cwd?: string, adapter?: AppKind): Promise<Application> {
  return importAppSpec(spec, cwd, { adapter, adapt: adaptApp });
}
