import { lazyBuiltin } from "../core/lazy-builtin.js";

/** node:http and node:stream, loaded when the first request needs them (see lazyBuiltin). */
export const nodeHttp = lazyBuiltin<typeof import("node:http")>("node:http");
export const nodeStream = lazyBuiltin<typeof import("node:stream")>("node:stream");

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
