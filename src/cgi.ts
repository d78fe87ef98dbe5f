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

import type { Adapt } from "./frontends/cgi/load-app.js";
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
  return runModule(target, { adapt: adaptLazily, ...options });
}

/**
 * The adapters load on first use, never with a plain tsgi app. This entry is one
 * self-contained file (a CGI process starts per request), so a literal import would copy the
 * adapters into it and their `node:http` import would load with every request (~8 ms of a
 * ~20 ms start-up). Specifiers in variables keep the bundler out: the `adapt` entry next to
 * this file (dist/adapt.cjs or dist/adapt.js; src/adapt.ts under test), else the full
 * `index` entry, which works but loads the whole library (~70 ms).
 */
const ADAPT = ["./adapt.cjs", "./adapt.js"];
const INDEX = "./index.js";

let adapters: Promise<Adapt> | undefined;

const adaptLazily: Adapt = async (kind, handler) => {
  adapters ??= findAdapters();
  return (await adapters)(kind, handler);
};

async function findAdapters(): Promise<Adapt> {
  for (const specifier of ADAPT) {
    try {
      const loaded = specifier.endsWith(".cjs")
        ? typeof require === "function"
          ? require(specifier)
          : undefined
        : await import(/* @vite-ignore */ specifier);
      if (loaded?.adaptApp) return loaded.adaptApp as Adapt;
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code !== "MODULE_NOT_FOUND" && code !== "ERR_MODULE_NOT_FOUND") throw error;
    }
  }
  const tsgi = (await import(/* @vite-ignore */ INDEX)) as typeof import("./index.js");
  return (kind, handler) =>
    kind === "node"
      ? tsgi.fromNode(handler as Parameters<typeof tsgi.fromNode>[0])
      : tsgi.fromFetch(handler as Parameters<typeof tsgi.fromFetch>[0]);
}
