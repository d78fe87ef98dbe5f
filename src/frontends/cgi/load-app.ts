import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TsgiError } from "../../core/errors.js";
import type { Application } from "../../core/types.js";
import { type AppKind, classify, type Detected } from "./app-kind.js";

export { type AppKind, classify, type Detected } from "./app-kind.js";

/** The app module could not be found, loaded, or has no app in it. */
export class AppLoadError extends TsgiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TSGI_APP_LOAD", message, options);
  }
}

/**
 * Turns a Node request listener or a fetch handler into a tsgi app. The front-ends never import
 * the adapters (test/architecture.test.ts): the entry files and the CLI pass this in, and load
 * the adapter only when an export needs it, so a plain tsgi app's CGI start-up pays nothing.
 */
export type Adapt = (
  kind: Exclude<AppKind, "tsgi">,
  handler: unknown,
) => Application | Promise<Application>;

export interface LoadOptions {
  /** `--adapter`: what a bare function is; default: detected (a plain function is tsgi). */
  adapter?: AppKind;
  /** Wraps a Node or fetch app; without it such an export is an AppLoadError. */
  adapt?: Adapt;
}

const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;

/** Splits `path/to/app.mjs:exportName` (design §2: APP is a module path, optionally `:name`). */
export function parseAppSpec(spec: string): { path: string; exportName?: string } {
  const colon = spec.lastIndexOf(":");
  if (colon > 0 && EXPORT_NAME.test(spec.slice(colon + 1))) {
    return { path: spec.slice(0, colon), exportName: spec.slice(colon + 1) };
  }
  return { path: spec };
}

/**
 * Loads the app a spec names, relative paths from `cwd`: the one loader of the CLI and of
 * `runCgiModule`. Every failure is an AppLoadError of one line that says what is wrong.
 */
export async function importAppSpec(
  spec: string,
  cwd = process.cwd(),
  options: LoadOptions = {},
): Promise<Application> {
  const { path, exportName } = parseAppSpec(spec);
  const file = resolve(cwd, path);
  let module: unknown;
  try {
    module = await loadModule(file);
  } catch (error) {
    // Checked only on failure: a CGI start-up pays for no extra stat.
    if (!existsSync(file))
      throw new AppLoadError(`cannot find app module ${path} (no file ${file})`);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new AppLoadError(`cannot load app module ${path}: ${firstLine(reason)}`, {
      cause: error,
    });
  }
  const { value, what } = findExport(module, exportName, `app module ${path}`, path);
  return adapt(classify(value, what, options.adapter, refuse), options.adapt);
}

/**
 * A CommonJS module is required, not imported: then `module.parent` is set, so an app that
 * guards `app.listen()` with `if (!module.parent)` (Express's examples) starts no listener, and
 * import() would start Node's ES module loader, ~5 ms of a ~20 ms CGI start-up
 * (bench/cgi-startup.mjs). `.js` is CommonJS unless its package says "type": "module", which
 * require() finds out for us (ERR_REQUIRE_ESM on Node 20; Node 22 requires ES modules itself
 * unless they use top-level await).
 */
async function loadModule(file: string): Promise<unknown> {
  if (/\.[cm]?tsx?$|\.mjs$/.test(file)) return import(pathToFileURL(file).href);
  try {
    return createRequire(file)(file);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (/\.cjs$/.test(file) || (code !== "ERR_REQUIRE_ESM" && code !== "ERR_REQUIRE_ASYNC_MODULE"))
      throw error;
    return import(pathToFileURL(file).href);
  }
}

/**
 * The application in a loaded module (design §2): the named export if a name is given, else the
 * default export, else an export named `app`. A function given directly is the app itself.
 * Without `options.adapt`, only a tsgi app is accepted.
 */
export function resolveApp(
  module: unknown,
  exportName?: string,
  source = "the app module",
  options: LoadOptions = {},
): Application | Promise<Application> {
  const { value, what } = findExport(module, exportName, source, source);
  return adapt(classify(value, what, options.adapter, refuse), options.adapt);
}

function adapt(detected: Detected, wrap: Adapt | undefined): Application | Promise<Application> {
  if (detected.kind === "tsgi") return detected.app;
  if (!wrap) {
    throw new AppLoadError(
      `${detected.what} is ${detected.description}, and this loader has no adapters: ` +
        "load it with the tsgi command or tsgi/cgi's runCgiModule",
    );
  }
  return wrap(detected.kind, detected.handler);
}

const refuse = (message: string) => new AppLoadError(message);

interface Found {
  value: unknown;
  /** How messages name it: `export "app" of x.mjs`. */
  what: string;
}

/** `source` opens a sentence about the module ("app module x.mjs"), `from` ends one ("x.mjs"). */
function findExport(
  module: unknown,
  exportName: string | undefined,
  source: string,
  from: string,
): Found {
  // A CommonJS module.exports that is the app itself (Express's `module.exports = app`); an ES
  // module's namespace is never the app, even with an export named `fetch`.
  const namespace = Object.prototype.toString.call(module) === "[object Module]";
  if (exportName === undefined && !namespace && isAppLike(module)) {
    return { value: module, what: from };
  }
  const exports = (module ?? {}) as Record<string, unknown>;
  if (exportName !== undefined) {
    if (!(exportName in exports)) {
      const cjs = commonJsExports(exports);
      if (cjs && exportName in cjs)
        return { value: cjs[exportName], what: `export "${exportName}" of ${from}` };
      throw new AppLoadError(
        `${source} has no export named "${exportName}" (${exportList(exports)})`,
      );
    }
    return { value: exports[exportName], what: `export "${exportName}" of ${from}` };
  }
  if (isAppLike(exports.default)) return { value: exports.default, what: from };
  if ("app" in exports) return { value: exports.app, what: `export "app" of ${from}` };
  // A CommonJS module imported with import() arrives as { default: module.exports }.
  const cjs = commonJsExports(exports);
  if (cjs && "app" in cjs) return { value: cjs.app, what: `export "app" of ${from}` };
  if ("default" in exports)
    return { value: exports.default, what: `the default export of ${from}` };
  throw new AppLoadError(
    `${source} has no default export and no export named "app" (${exportList(exports)})`,
  );
}

/** A function, or an object a framework made (Koa, Fastify, http.Server, Hono, `{ fetch }`). */
function isAppLike(value: unknown): boolean {
  if (typeof value === "function") return true;
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.fetch === "function" ||
    typeof v.callback === "function" ||
    typeof v.routing === "function" ||
    typeof v.listeners === "function"
  );
}

function commonJsExports(exports: Record<string, unknown>): Record<string, unknown> | null {
  const cjs = exports.default;
  return cjs !== null && typeof cjs === "object" ? (cjs as Record<string, unknown>) : null;
}

function exportList(exports: Record<string, unknown>): string {
  const names = Object.keys(exports);
  return names.length > 0 ? `exports: ${names.join(", ")}` : "it exports nothing";
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline >= 0 ? text.slice(0, newline) : text;
}
