/**
 * How a Router routes one request: normalise, match, then a route, a mount, a redirect, a
 * 405 or the not-found app. See router.ts for the rules and why.
 */
import { gatewayPage } from "../core/error-app.js";
import type { Body, Environ, StartResponse } from "../core/types.js";
import { decodeUtf8, quoteBytes } from "../core/url.js";
import { removeDotSegments } from "./http/dot-segments.js";
import { matchPattern } from "./route-pattern.js";
import type { Route, RouteMatch, RouterOptions } from "./router.js";

export function dispatch(
  routes: Route[],
  options: RouterOptions,
  environ: Environ,
  startResponse: StartResponse,
): Body | Promise<Body> {
  const raw = environ.PATH_INFO ?? "";
  const normal = normalise(raw);
  if (normal === null)
    return page(startResponse, "400 Bad Request", [], "the path climbs above the root");
  if (normal !== raw) return redirect(environ, startResponse, normal);
  const method = environ.REQUEST_METHOD.toUpperCase();
  const segments = splitPath(raw);
  const allowed = new Set<string>();
  let getForHead: { route: Route; params: Record<string, unknown> } | undefined;
  for (const route of routes) {
    if (route.mount !== undefined) {
      if (underPrefix(raw, route.mount)) return mounted(route, environ, startResponse);
      continue;
    }
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (!route.methods || route.methods.has(method))
      return call(route, params, environ, startResponse);
    if (method === "HEAD" && route.methods.has("GET")) getForHead ??= { route, params };
    for (const m of route.methods) allowed.add(m);
  }
  if (getForHead) return headOnly(getForHead.route, getForHead.params, environ, startResponse);
  if (allowed.size) return methodNotAllowed(startResponse, allowed);
  if (options.redirectSlashes !== false && raw.length > 1) {
    const other = raw.endsWith("/") ? raw.slice(0, -1) : `${raw}/`;
    if (routes.some((r) => r.mount === undefined && matchPattern(r.pattern, splitPath(other)))) {
      return redirect(environ, startResponse, other);
    }
  }
  return options.notFound
    ? options.notFound(environ, startResponse)
    : page(startResponse, "404 Not Found");
}

/** The path's segments as text: "/a/b/" -> ["a", "b", ""]; "" reads as "/". */
function splitPath(raw: string): string[] {
  return decodeUtf8(raw || "/")
    .slice(1)
    .split("/");
}

/**
 * The path with "//", "." and ".." resolved (RFC 3986 §5.2.4), a trailing slash kept; null
 * when ".." climbs above the root. A path that does not start with "/" is left alone.
 */
export function normalise(path: string): string | null {
  if (!path.startsWith("/")) return path;
  const resolved = removeDotSegments(path.slice(1));
  if (resolved === null) return null;
  const { segments, directory } = resolved;
  return `/${segments.join("/")}${segments.length > 0 && directory ? "/" : ""}`;
}

function underPrefix(path: string, prefix: string): boolean {
  return (
    path.startsWith(prefix) &&
    (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f)
  );
}

function routeEnviron(environ: Environ, route: Route, params: Record<string, unknown>): Environ {
  const match: RouteMatch = { name: route.name, pattern: route.pattern.source, params };
  return { ...environ, "tsgi.route": match };
}

function call(
  route: Route,
  params: Record<string, unknown>,
  environ: Environ,
  start: StartResponse,
) {
  return route.app(routeEnviron(environ, route, params), start);
}

function mounted(route: Route, environ: Environ, start: StartResponse): Body | Promise<Body> {
  const prefix = route.mount as string;
  const inner = routeEnviron(environ, route, {});
  inner.SCRIPT_NAME = (environ.SCRIPT_NAME ?? "") + prefix;
  inner.PATH_INFO = environ.PATH_INFO.slice(prefix.length);
  return route.app(inner, start);
}

/** HEAD through the GET route: the same status and headers, the body read and dropped. */
async function headOnly(
  route: Route,
  params: Record<string, unknown>,
  environ: Environ,
  start: StartResponse,
): Promise<Body> {
  const quiet: StartResponse = (status, headers, excInfo) => {
    start(status, headers, excInfo);
    return async () => {};
  };
  const body = await route.app(routeEnviron(environ, route, params), quiet);
  const drain = async (): Promise<IteratorResult<Uint8Array>> => {
    for await (const _ of body) {
      // dropped: RFC 9110 §9.3.2, a HEAD response has no content
    }
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]: () => ({ next: drain }),
    close: () => body.close?.(),
  };
}

function methodNotAllowed(start: StartResponse, allowed: Set<string>): Body {
  if (allowed.has("GET")) allowed.add("HEAD");
  // RFC 9110 §15.5.6: a 405 carries Allow with the target's methods.
  return page(start, "405 Method Not Allowed", [["Allow", [...allowed].sort().join(", ")]]);
}

/** 301 for GET/HEAD, 308 otherwise (RFC 9110 §15.4.2, §15.4.9), to SCRIPT_NAME + path + query. */
function redirect(environ: Environ, start: StartResponse, path: string): Body {
  const safe = environ.REQUEST_METHOD === "GET" || environ.REQUEST_METHOD === "HEAD";
  // A Location starting "//" would name another host (RFC 3986 §4.2): one slash only.
  let location = quoteBytes((environ.SCRIPT_NAME ?? "") + path).replace(/^\/{2,}/, "/");
  if (environ.QUERY_STRING) location += `?${environ.QUERY_STRING}`;
  return page(start, safe ? "301 Moved Permanently" : "308 Permanent Redirect", [
    ["Location", location],
  ]);
}

function page(
  start: StartResponse,
  status: string,
  extra: Array<[string, string]> = [],
  reason?: string,
): Body {
  const { headers, body } = gatewayPage(status, reason);
  start(status, [...extra, ...headers]);
  return [body];
}
