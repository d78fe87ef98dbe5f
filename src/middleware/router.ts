/**
 * `Router`: routes by method and path pattern, Werkzeug's Map/Rule with find-my-way's linear
 * matching. A Router is itself an application.
 *
 * - Patterns: `/users/:id(int)`, `/files/:rest(path)`, `/d/:a-:b`; types `string` (default,
 *   one segment), `int`, `uuid`, `path` (the rest, slashes included). Matching is linear in
 *   the path (route-pattern.ts). Params (decoded text) are in `environ["tsgi.route"]` with the
 *   route's name and pattern.
 * - One path, one meaning: the router sees the PATH_INFO a file resolver sees, and refuses to
 *   route a path that is not normalised. `//admin`, `/./admin` and `/x/../admin` are
 *   redirected to `/admin`, so a guard on `/admin` (a route or a mount) sees the request the
 *   file resolver would serve; a path whose `..` climbs above the root is a 400. (`%2F` is
 *   already `/` in PATH_INFO, RFC 3875 §4.1.5: the guard and the resolver agree on it.)
 * - Redirects: a path that differs from a route only by its trailing slash is redirected to
 *   the route's form, the query kept. 301 for GET and HEAD, 308 for other methods so the
 *   method and body are kept (RFC 9110 §15.4.2, §15.4.9).
 * - 405 with `Allow` listing exactly the methods the path's routes take (HEAD with GET,
 *   RFC 9110 §15.5.6); HEAD is served by the GET route, its body dropped.
 * - `mount(prefix, app)`: every method under the prefix; the prefix moves from PATH_INFO to
 *   SCRIPT_NAME, as `dispatcher` does. Routes and mounts are tried in the order added.
 * - `url(name, params, query?)` builds a route's path, percent-encoded (relative to the
 *   router's SCRIPT_NAME: prefix it with `applicationUrl(environ)` or SCRIPT_NAME).
 *
 * @example
 * import { Router } from "tsgi";
 * const router = new Router()
 *   .get("/", home)
 *   .get("/users/:id(int)", showUser, { name: "user" })
 *   .post("/users", createUser)
 *   .mount("/static", staticFiles("public"));
 * router.url("user", { id: 7 }); // "/users/7"
 * export default router;
 */
import { ContractError } from "../core/errors.js";
import type { Application, Body, Environ, StartResponse } from "../core/types.js";
import { toByteString } from "../core/url.js";
import { CallableApp } from "../wrappers/response.js";
import { buildPath, type CompiledPattern, compilePattern } from "./route-pattern.js";
import { dispatch } from "./router-dispatch.js";

/** What `environ["tsgi.route"]` holds for the matched route. */
export interface RouteMatch {
  name: string | undefined;
  pattern: string;
  params: Record<string, unknown>;
}

export interface RouterOptions {
  /** The app for paths no route matches; default a plain 404. */
  notFound?: Application;
  /** Redirect a path that misses (or has an extra) trailing slash; default true. */
  redirectSlashes?: boolean;
}

export interface Route {
  methods: Set<string> | null; // null: every method (a mount or all())
  pattern: CompiledPattern;
  app: Application;
  name: string | undefined;
  mount: string | undefined; // the literal prefix of a mount, as a byte string
}

type RouteOptions = { name?: string };

export class Router extends CallableApp {
  declare private routes: Route[];
  declare private names: Map<string, Route>;
  declare private config: RouterOptions;

  constructor(options: RouterOptions = {}) {
    super();
    const router = ((environ: Environ, startResponse: StartResponse) =>
      router.handle(environ, startResponse)) as unknown as Router;
    Object.setPrototypeOf(router, new.target.prototype);
    router.routes = [];
    router.names = new Map();
    router.config = options;
    // biome-ignore lint/correctness/noConstructorReturn: a Router is an app (a function)
    return router;
  }

  /** Adds a route for one method or several (`["GET", "POST"]`). */
  add(
    methods: string | readonly string[],
    pattern: string,
    app: Application,
    options: RouteOptions = {},
  ): this {
    const list = (typeof methods === "string" ? [methods] : [...methods]).map((m) =>
      m.toUpperCase(),
    );
    return this.push({
      methods: new Set(list),
      pattern: compilePattern(pattern),
      app,
      name: options.name,
      mount: undefined,
    });
  }

  get(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("GET", pattern, app, options);
  }
  post(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("POST", pattern, app, options);
  }
  put(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("PUT", pattern, app, options);
  }
  patch(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("PATCH", pattern, app, options);
  }
  delete(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("DELETE", pattern, app, options);
  }
  head(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("HEAD", pattern, app, options);
  }
  options(pattern: string, app: Application, options?: RouteOptions): this {
    return this.add("OPTIONS", pattern, app, options);
  }
  /** A route for every method. */
  all(pattern: string, app: Application, options?: RouteOptions): this {
    return this.push({
      methods: null,
      pattern: compilePattern(pattern),
      app,
      name: options?.name,
      mount: undefined,
    });
  }

  /** Mounts an app under a literal prefix ("/static"): it sees the rest as its PATH_INFO. */
  mount(prefix: string, app: Application, options: RouteOptions = {}): this {
    if (!prefix.startsWith("/") || prefix.endsWith("/") || prefix.includes(":")) {
      throw new ContractError(
        `Router.mount: prefix ${JSON.stringify(prefix)} must start with "/", not end with "/", and hold no parameter`,
      );
    }
    return this.push({
      methods: null,
      pattern: compilePattern(prefix),
      app,
      name: options.name,
      mount: toByteString(prefix),
    });
  }

  /** The path of the route named `name` with `params`, percent-encoded, plus `query`. */
  url(
    name: string,
    params: Record<string, unknown> = {},
    query?: Record<string, string> | URLSearchParams,
  ): string {
    const route = this.names.get(name);
    if (!route) throw new ContractError(`Router.url: no route named ${JSON.stringify(name)}`);
    const path = buildPath(route.pattern, params);
    const search = query ? new URLSearchParams(query).toString() : "";
    return search ? `${path}?${search}` : path;
  }

  /** The router as a plain application (it is one already: `router(environ, start)`). */
  get app(): Application {
    return (environ, startResponse) => this.handle(environ, startResponse);
  }

  /** Routes one request: the app behind the call signature. */
  handle(environ: Environ, startResponse: StartResponse): Body | Promise<Body> {
    return dispatch(this.routes, this.config, environ, startResponse);
  }

  private push(route: Route): this {
    if (typeof route.app !== "function")
      throw new ContractError(
        `Router: the app for ${JSON.stringify(route.pattern.source)} must be a function`,
      );
    if (route.name !== undefined) {
      if (this.names.has(route.name))
        throw new ContractError(`Router: two routes named ${JSON.stringify(route.name)}`);
      this.names.set(route.name, route);
    }
    this.routes.push(route);
    return this;
  }
}
