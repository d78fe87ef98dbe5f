/**
 * `dispatcher(defaultApp, mounts)`: mounts applications under path prefixes, as
 * Werkzeug's DispatcherMiddleware and Plack::App::URLMap do.
 *
 * - The matched prefix moves from PATH_INFO to SCRIPT_NAME (PEP 3333 URL reconstruction keeps
 *   working: the mounted app's URLs start with its own SCRIPT_NAME).
 * - A prefix matches only at a "/" boundary: "/blog" matches "/blog" and "/blog/x", not
 *   "/blogger". The longest matching prefix wins, whatever the order of `mounts`.
 * - A request that matches nothing goes to `defaultApp` with its environ untouched.
 * - The mounted app gets a shallow copy of the environ; the caller's is never changed.
 * - Prefixes are byte strings like PATH_INFO (use `toByteString("/café")` for non-ASCII text),
 *   start with "/" and do not end with "/". "" and "/" are refused: an app for every path is
 *   the `defaultApp`.
 *
 * @example
 * import { dispatcher } from "tsgi";
 * const app = dispatcher(notFound, { "/blog": blogApp, "/api/v1": apiApp });
 * // GET /api/v1/users -> apiApp sees SCRIPT_NAME "/api/v1", PATH_INFO "/users"
 */
import { ContractError } from "../core/errors.js";
import type { Application, Environ } from "../core/types.js";

interface Mount {
  prefix: string;
  app: Application;
}

/** Routes each request to the app mounted at the longest matching path prefix. */
export function dispatcher(
  defaultApp: Application,
  mounts: Record<string, Application>,
): Application {
  checkApp("the default app", defaultApp);
  const table = mountTable(mounts);
  return (environ, startResponse) => {
    const pathInfo = environ.PATH_INFO ?? "";
    const mount = table.find(({ prefix }) => matches(pathInfo, prefix));
    if (!mount) return defaultApp(environ, startResponse);
    const mounted: Environ = {
      ...environ,
      SCRIPT_NAME: (environ.SCRIPT_NAME ?? "") + mount.prefix,
      PATH_INFO: pathInfo.slice(mount.prefix.length),
    };
    return mount.app(mounted, startResponse);
  };
}

function matches(pathInfo: string, prefix: string): boolean {
  if (!pathInfo.startsWith(prefix)) return false;
  // Only at a segment boundary: "/blog" is not a prefix of "/blogger".
  return pathInfo.length === prefix.length || pathInfo.charCodeAt(prefix.length) === 0x2f;
}

function mountTable(mounts: Record<string, Application>): Mount[] {
  if (mounts === null || typeof mounts !== "object") {
    throw new ContractError("dispatcher: mounts must be an object of { prefix: app }");
  }
  const table = Object.entries(mounts).map(([prefix, app]) => {
    checkPrefix(prefix);
    checkApp(`the app mounted at ${JSON.stringify(prefix)}`, app);
    return { prefix, app };
  });
  // Longest first, so "/api/v1" wins over "/api" for "/api/v1/x".
  return table.sort((a, b) => b.prefix.length - a.prefix.length);
}

function checkPrefix(prefix: string): void {
  const quoted = JSON.stringify(prefix);
  if (prefix === "" || prefix === "/") {
    throw new ContractError(
      `dispatcher: mount prefix ${quoted} would match every path; pass that app as the default app instead`,
    );
  }
  if (!prefix.startsWith("/") || prefix.endsWith("/")) {
    throw new ContractError(
      `dispatcher: mount prefix ${quoted} must start with "/" and not end with "/" (like "/blog")`,
    );
  }
  if (/[^\x00-\xff]/.test(prefix)) {
    throw new ContractError(
      `dispatcher: mount prefix ${quoted} is not a byte string; use toByteString() for non-ASCII paths`,
    );
  }
}

function checkApp(what: string, app: unknown): void {
  if (typeof app !== "function") {
    throw new ContractError(
      `dispatcher: ${what} must be an application function, got ${typeof app}`,
    );
  }
}
