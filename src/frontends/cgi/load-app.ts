import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TsgiError } from "../../core/errors.js";
import type { Application } from "../../core/types.js";

/** The app module could not be found, loaded, or has no app in it. */
export class AppLoadError extends TsgiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TSGI_APP_LOAD", message, options);
  }
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
 * Loads the module a spec names (relative paths from the working directory). A `.cjs` module
 * is required, not imported: import() starts Node's ES module loader, which measured ~5 ms of
 * a ~20 ms CGI start-up (bench/cgi-startup.mjs).
 */
export async function importAppSpec(spec: string): Promise<Application> {
  const { path, exportName } = parseAppSpec(spec);
  const absolute = resolve(path);
  let module: unknown;
  try {
    module = absolute.endsWith(".cjs")
      ? createRequire(absolute)(absolute)
      : await import(pathToFileURL(absolute).href);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppLoadError(`cannot load app module ${path}: ${reason}`, { cause: error });
  }
  return resolveApp(module, exportName, path);
}

/**
 * The application in a loaded module: the named export, else the default export, else an
 * export named `app` (design §2). A function given directly is the app itself.
 */
export function resolveApp(module: unknown, exportName?: string, what = "the module"): Application {
  if (typeof module === "function" && exportName === undefined) return module as Application;
  const exports = (module ?? {}) as Record<string, unknown>;
  if (exportName !== undefined) {
    const named = exports[exportName];
    if (typeof named === "function") return named as Application;
    throw new AppLoadError(`${what} has no function export named ${JSON.stringify(exportName)}`);
  }
  const found = [exports.default, exports.app, interopApp(exports.default)];
  for (const candidate of found) {
    if (typeof candidate === "function") return candidate as Application;
  }
  const names = Object.keys(exports).join(", ") || "none";
  throw new AppLoadError(
    `${what} has no default export and no export named "app" (exports: ${names})`,
  );
}

// A CommonJS module imported with import() arrives as { default: module.exports }.
function interopApp(value: unknown): unknown {
  return value !== null && typeof value === "object"
    ? (value as Record<string, unknown>).app
    : undefined;
}
