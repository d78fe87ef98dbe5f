/**
 * What to answer a GET or HEAD for a representation with validators: the preconditions
 * (RFC 9110 §13.2.2), then Range (§14.2) guarded by If-Range (§13.1.5). Shared by
 * staticFiles, sendFile and conditional().
 */
import {
  conditionsOf,
  evaluatePreconditions,
  ifRangeHolds,
  type Validators,
} from "./preconditions.js";
import { type ByteRange, parseRange } from "./range.js";

export type Plan =
  | { kind: "full" }
  | { kind: "not-modified" }
  | { kind: "precondition-failed" }
  | { kind: "unsatisfiable" }
  | { kind: "partial"; ranges: ByteRange[] };

export interface Representation extends Validators {
  /** Its length, when known: Range needs it. */
  size?: number;
  /** False for a representation Range is not applied to (a precompressed variant). */
  rangeable?: boolean;
  /** Ranges in one request before it is served whole (parseRange's maxRanges). */
  maxRanges?: number;
}

export function planResponse(environ: Record<string, unknown>, rep: Representation): Plan {
  const verdict = evaluatePreconditions(conditionsOf(environ), rep);
  if (verdict !== "proceed") return { kind: verdict };
  const range = environ.HTTP_RANGE as string | undefined;
  // §14.2: GET is the only method Range is defined for; HEAD ignores it.
  if (range === undefined || environ.REQUEST_METHOD !== "GET") return { kind: "full" };
  if (rep.rangeable === false || rep.size === undefined) return { kind: "full" };
  if (!ifRangeHolds(environ.HTTP_IF_RANGE as string | undefined, rep)) return { kind: "full" };
  const parsed = parseRange(range, rep.size, { maxRanges: rep.maxRanges });
  if (parsed.kind === "ignore") return { kind: "full" };
  if (parsed.kind === "unsatisfiable") return { kind: "unsatisfiable" };
  return { kind: "partial", ranges: parsed.ranges };
}

// RFC 9110 §15.4.5: what a 304 carries of the 200's header fields.
const NOT_MODIFIED_FIELDS = new Set([
  "cache-control",
  "content-location",
  "date",
  "etag",
  "expires",
  "vary",
]);

/**
 * The header fields a 304 keeps of a 200's. Last-Modified only without an ETag (§15.4.5:
 * metadata that guides cache updates); never Content-Type or Content-Length.
 */
export function notModifiedHeaders(
  headers: ReadonlyArray<[string, string]>,
): Array<[string, string]> {
  const hasEtag = headers.some(([name]) => name.toLowerCase() === "etag");
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return NOT_MODIFIED_FIELDS.has(lower) || (!hasEtag && lower === "last-modified");
  });
}
