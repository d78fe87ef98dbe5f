import { createRequire } from "node:module";

/**
 * node:crypto and node:net, loaded on first use, not when "tsgi" is imported: a CGI process
 * starts for every request, and an app that imports any middleware from "tsgi" would otherwise
 * pay 3-10 ms for node:crypto on every one of them (node:module is loaded at start-up already).
 */
const load: (name: string) => unknown =
  (process as { getBuiltinModule?: (name: string) => unknown }).getBuiltinModule ??
  createRequire("/");

let crypto: typeof import("node:crypto") | undefined;
let net: typeof import("node:net") | undefined;

export function nodeCrypto(): typeof import("node:crypto") {
  crypto ??= load("node:crypto") as typeof import("node:crypto");
  return crypto;
}

export function nodeNet(): typeof import("node:net") {
  net ??= load("node:net") as typeof import("node:net");
  return net;
}
