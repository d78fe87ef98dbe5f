import { ContractError } from "./errors.js";
import { describe } from "./headers.js";

export type AnyIterator = Iterator<Uint8Array> | AsyncIterator<Uint8Array>;

/**
 * The iterator of a response body (PEP 3333: an iterable; here an async iterable too), taken
 * the way the core takes it, so middleware that steps through a body by hand sees what the core
 * would: an async iterator when there is one, else the sync one, stepped with `await it.next()`
 * so a sync iterable's chunks are never unwrapped as promises. Anything else is the app's
 * contract error, with a hint for the usual mistake.
 */
export function iterateBody(body: unknown): AnyIterator {
  if (body !== null && typeof body === "object" && !(body instanceof Uint8Array)) {
    const asyncIt = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
    if (typeof asyncIt === "function") return asyncIt.call(body);
    const syncIt = (body as Iterable<Uint8Array>)[Symbol.iterator];
    if (typeof syncIt === "function") return syncIt.call(body);
  }
  const hint =
    typeof body === "string" || body instanceof Uint8Array ? ": return [chunk], not chunk" : "";
  throw new ContractError(
    `the application must return an iterable of Uint8Array, got ${describe(body)}${hint}`,
  );
}
