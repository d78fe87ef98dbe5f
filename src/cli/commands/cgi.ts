import type { Command } from "commander";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import { runCgiModule } from "../../frontends/cgi.js";
import { adapterOption } from "../adapter-option.js";
import { loadApp } from "../load-app.js";

/**
 * `tsgi cgi APP`: answers one request as a CGI script (RFC 3875). This module must stay light
 * (main.ts imports it alone on the fast path): the app loader and the CGI front-end, no commander
 * at run time (the import above is a type).
 */
export function runCgiCommand(spec: string, adapter?: AppKind): Promise<number> {
  // The app module loads only after the front-end scrubbed HTTP_* from process.env (httpoxy);
  // a module that fails to load is a 500 for the web server and one line on stderr. What
  // loadApp returns is already a tsgi app (adapted if need be).
  return runCgiModule(() => loadApp(spec, undefined, adapter), { adapter: "tsgi" });
}

export function register(program: Command): void {
  program
    .command("cgi")
    .description("run APP once as a CGI script: request from the environment and stdin")
    .argument("<APP>", "app module path, optionally path:exportName")
    .addOption(adapterOption(program))
    .action(async (spec: string, flags: { adapter?: AppKind }) => {
      await runCgiCommand(spec, flags.adapter);
    });
}
