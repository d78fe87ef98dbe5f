import type { Application } from "../../core/types.js";

/** What an APP export is: tsgi's own contract, a Node request listener, or a fetch handler. */
export type AppKind = "tsgi" | "node" | "fetch";

export type Detected =
  | { kind: "tsgi"; app: Application }
  | { kind: "node" | "fetch"; handler: unknown; what: string; description: string };

/** The loader's errors, without importing the loader (it imports this file). */
type Refuse = (message: string) => Error;

const KINDS: readonly string[] = ["tsgi", "node", "fetch"];

/**
 * Which kind of app `value` is (issue 8 §2). The frameworks' apps are recognised by the methods
 * that make them what they are, checked in this order:
 *
 * 1. a function with `handle` and `use`: an Express (4 or 5) or Connect app -> node
 * 2. an object with `callback` and `use`: a Koa app -> node
 * 3. an object with `routing` and `ready`: a Fastify instance -> node
 * 4. an object with `listen` and `listeners`: an `http.Server` (or https) -> node
 * 5. an object with a `fetch` method: a Hono app, `export default { fetch }` -> fetch
 * 6. any other function is a tsgi app `(environ, startResponse)`, as before 0.3, except that a
 *    function declaring one parameter (`(request) => Response`?) or three or more
 *    (`(req, res, next)`?) cannot be one, and is refused with the flag that says what it is.
 *
 * A bare `(req, res)` listener (Koa's `app.callback()`, a node:http handler) looks exactly like a
 * tsgi app: only `--adapter node` (`adapter`) tells them apart. A forced kind is obeyed as given.
 */
export function classify(
  value: unknown,
  what: string,
  adapter: AppKind | undefined,
  refuse: Refuse = (message) => new TypeError(message),
): Detected {
  if (adapter !== undefined && !KINDS.includes(adapter)) {
    throw refuse(`unknown adapter "${adapter}": use --adapter tsgi, node or fetch`);
  }
  if (adapter === "tsgi") return { kind: "tsgi", app: asFunction(value, what, refuse) };
  if (adapter !== undefined) {
    if (!isObject(value)) throw refuse(`${what} is not a ${adapter} app (got ${typeName(value)})`);
    return { kind: adapter, handler: value, what, description: `forced to ${adapter}` };
  }
  const framework = frameworkOf(value);
  if (framework) return { handler: value, what, ...framework };
  const app = asFunction(value, what, refuse);
  const arity = app.length;
  if (arity === 1) {
    throw refuse(
      `${what} takes one parameter, like a fetch handler (request) => Response: ` +
        "use --adapter fetch, or --adapter tsgi if it is a tsgi app",
    );
  }
  if (arity >= 3) {
    throw refuse(
      `${what} takes ${arity} parameters, like Node middleware (req, res, next): ` +
        "use --adapter node, or --adapter tsgi if it is a tsgi app",
    );
  }
  return { kind: "tsgi", app };
}

function frameworkOf(value: unknown): { kind: "node" | "fetch"; description: string } | undefined {
  if (!isObject(value)) return undefined;
  const has = (name: string) => typeof (value as Record<string, unknown>)[name] === "function";
  if (typeof value === "function") {
    return has("handle") && has("use")
      ? { kind: "node", description: "an Express or Connect app" }
      : undefined;
  }
  if (has("callback") && has("use")) return { kind: "node", description: "a Koa app" };
  if (has("routing") && has("ready")) return { kind: "node", description: "a Fastify instance" };
  if (has("listen") && has("listeners")) return { kind: "node", description: "an http.Server" };
  if (has("fetch")) return { kind: "fetch", description: "a fetch handler" };
  return undefined;
}

function asFunction(value: unknown, what: string, refuse: Refuse): Application {
  if (typeof value === "function") return value as Application;
  throw refuse(
    `${what} is not a function (got ${typeName(value)}); an app is a tsgi app ` +
      "(environ, startResponse), an Express, Koa, Fastify or Hono app, an http.Server or an " +
      "object with a fetch method",
  );
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  return typeof value;
}
