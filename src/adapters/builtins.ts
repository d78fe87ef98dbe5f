import { createRequire } from "node:module";

/**
 * node:http and node:stream, loaded when the first request needs them, not when "tsgi" is
 * imported: an app under CGI that imports anything from "tsgi" would otherwise pay ~3 ms per
 * request to load them (node:module is loaded at start-up already). process.getBuiltinModule
 * (Node >= 20.16) or a require made for the purpose, in the ESM and the CommonJS build alike.
 */
const load: (name: string) => unknown =
  (process as { getBuiltinModule?: (name: string) => unknown }).getBuiltinModule ??
  createRequire("/");

let http: typeof import("node:http") | undefined;
let stream: typeof import("node:stream") | undefined;

export function nodeHttp(): typeof import("node:http") {
  http ??= load("node:http") as typeof import("node:http");
  return http;
}

export function nodeStream(): typeof import("node:stream") {
  stream ??= load("node:stream") as typeof import("node:stream");
  return stream;
}

/**
 * The platform's own class behind a fetch global (Request, Response), read when first needed:
 * the first read of one loads undici, node:http and node:stream (~85 modules). A library may have
 * put a subclass in its place (@hono/node-server swaps Request and Response when it starts), so
 * the class returned is the base of whatever the global names now.
 */
// biome-ignore lint/complexity/noBannedTypes: any class
export function baseClass<T extends Function>(value: T): T {
  let base = value;
  while (Object.getPrototypeOf(base) !== Function.prototype) base = Object.getPrototypeOf(base);
  return base;
}
