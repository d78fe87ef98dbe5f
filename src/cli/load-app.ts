import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Application } from "../core/types.js";
import { AppLoadError, parseAppSpec } from "../frontends/cgi/load-app.js";

export { AppLoadError };

/**
 * Loads the application APP names on the command line (design §2): a module path resolved
 * against `cwd`, optionally `path:exportName`; without a name the default export, else the
 * export named `app`. Every failure is an AppLoadError with one line that says what is wrong;
 * the commands turn it into exit code 2.
 */
export async function loadApp(spec: string, cwd = process.cwd()): Promise<Application> {
  const { path, exportName } = parseAppSpec(spec);
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new AppLoadError(`cannot find app module ${path} (no file ${file})`);
  let module: Record<string, unknown>;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new AppLoadError(`cannot load app module ${path}: ${firstLine(reason)}`, {
      cause: error,
    });
  }
  return exportName === undefined ? defaultApp(module, path) : namedApp(module, exportName, path);
}

function namedApp(module: Record<string, unknown>, name: string, path: string): Application {
  if (!(name in module)) {
    throw new AppLoadError(
      `app module ${path} has no export named "${name}" (${exportList(module)})`,
    );
  }
  return asApp(module[name], `export "${name}" of ${path}`);
}

function defaultApp(module: Record<string, unknown>, path: string): Application {
  if (typeof module.default === "function") return module.default as Application;
  if ("app" in module) return asApp(module.app, `export "app" of ${path}`);
  // A CommonJS module arrives as { default: module.exports }: look for exports.app there too.
  const cjs = module.default as Record<string, unknown> | null | undefined;
  if (cjs !== null && typeof cjs === "object" && "app" in cjs) {
    return asApp(cjs.app, `export "app" of ${path}`);
  }
  if ("default" in module) return asApp(module.default, `the default export of ${path}`);
  throw new AppLoadError(
    `app module ${path} has no default export and no export named "app" (${exportList(module)})`,
  );
}

function asApp(value: unknown, what: string): Application {
  if (typeof value === "function") return value as Application;
  const got = value === null ? "null" : typeof value;
  throw new AppLoadError(`${what} is not a function (got ${got}); an application is a function`);
}

function exportList(module: Record<string, unknown>): string {
  const names = Object.keys(module);
  return names.length > 0 ? `exports: ${names.join(", ")}` : "it exports nothing";
}

function firstLine(text: string): string {
  const newline = text.indexOf("\n");
  return newline >= 0 ? text.slice(0, newline) : text;
}
