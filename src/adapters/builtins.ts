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
