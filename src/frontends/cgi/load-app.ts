import { existsSync } from "node:fs";
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
 * Loads the app a spec names, relative paths from `cwd`: the one loader of the CLI and of
 * `runCgiModule`. Every failure is an AppLoadError of one line that says what is wrong. A
 * `.cjs` module is required, not imported: import() starts Node's ES module loader, ~5 ms of a
 * ~20 ms CGI start-up (bench/cgi-startup.mjs).
 */
export async function importAppSpec(spec: string, cwd = process.cwd()): Promise<Application> {
  const { path, exportName } = parseAppSpec(spec);
  const file = resolve(cwd, path);
  let module: unknown;
  try {
    module = file.endsWith(".cjs")
      ? createRequire(file)(file)
      : await import(pathToFileURL(file).href);
  } catch (error) {
    // Checked only on failure: a CGI start-up pays for no extra stat.
    if (!existsSync(file))
      throw new AppLoadError(`cannot find app module ${path} (no file ${file})`);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new AppLoadError(`cannot load app module ${path}: ${firstLine(reason)}`, {
      cause: error,
    });
  }
  return findApp(module, exportName, `app module ${path}`, path);
}

/**
 * The application in a loaded module (design §2): the named export if a name is given, else the
 * default export, else an export named `app`. A function given directly is the app itself.
 */
export function resolveApp(
  module: unknown,
  exportName?: string,
  source = "the app module",
): Application {
  return findApp(module, exportName, source, source);
}

/** `source` opens a sentence about the module ("app module x.mjs"), `from` ends one ("x.mjs"). */
function findApp(
  module: unknown,
  exportName: string | undefined,
  source: string,
  from: string,
): Application {
  if (typeof module === "function" && exportName === undefined) return module as Application;
  const exports = (module ?? {}) as Record<string, unknown>;
  if (exportName !== undefined) {
    if (!(exportName in exports)) {
      throw new AppLoadError(
        `${source} has no export named "${exportName}" (${exportList(exports)})`,
      );
    }
    return asApp(exports[exportName], `export "${exportName}" of ${from}`);
  }
  if (typeof exports.default === "function") return exports.default as Application;
  if ("app" in exports) return asApp(exports.app, `export "app" of ${from}`);
  // A CommonJS module imported with import() arrives as { default: module.exports }.
  const cjs = exports.default;
  if (cjs !== null && typeof cjs === "object" && "app" in cjs) {
    return asApp((cjs as Record<string, unknown>).app, `export "app" of ${from}`);
  }
  if ("default" in exports) return asApp(exports.default, `the default export of ${from}`);
  throw new AppLoadError(
    `${source} has no default export and no export named "app" (${exportList(exports)})`,
  );
}

function asApp(value: unknown, what: string): Application {
  if (typeof value === "function") return value as Application;
  const got = value === null ? "null" : typeof value;
  throw new AppLoadError(`${what} is not a function (got ${got}); an application is a function`);
}

function exportList(exports: Record<string, unknown>): string {
  const names = Object.keys(exports);
  return names.length > 0 ? `exports: ${names.join(", ")}` : "it exports nothing";
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline >= 0 ? text.slice(0, newline) : text;
}
