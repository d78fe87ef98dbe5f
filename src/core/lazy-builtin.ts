import { createRequire } from "node:module";

const load: (name: string) => unknown =
  (process as { getBuiltinModule?: (name: string) => unknown }).getBuiltinModule ??
  createRequire("/");

/**
 * A getter for a Node builtin that loads it on the first call, not when "tsgi" is imported. A
 * CGI process starts for every request, and an app that imports anything from "tsgi" would
 * otherwise pay for modules it may never use: node:crypto costs 3-10 ms, node:http and node:net
 * 2-4 ms each, and an ESM import of node:fs loads node:stream. process.getBuiltinModule
 * (Node >= 20.16) or a require made for the purpose, in the ESM and the CommonJS build alike.
 */
export function lazyBuiltin<T>(name: string): () => T {
  let module: T | undefined;
  return () => {
    module ??= load(name) as T;
    return module;
  };
}
