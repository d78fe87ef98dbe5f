/**
 * The Range header field (RFC 9110 §14.1.1, §14.2): a small parser of tsgi's own.
 *
 * - `bytes=` ranges only (§14.1: a server MUST ignore a range unit it does not understand);
 * - a syntactically invalid field is ignored (§14.2: "MAY ignore"; nginx answers 416 instead);
 * - a suffix range longer than the representation selects all of it (§14.1.1), never a 416;
 * - unsatisfiable when no range-spec is satisfiable (§14.1.1): 416, Content-Range `bytes *` + `/LEN`;
 * - overlapping or adjacent ranges are coalesced (§15.3.7.2: "regardless of the order"), the
 *   rest keep the request's order;
 * - a request whose ranges ask for more bytes than the representation holds, or more than
 *   `maxRanges` ranges, is served whole (§14.2 lets a server ignore Range; what nginx does).
 */

/** A byte range, both ends inclusive (as in Content-Range). */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeResult =
  | { kind: "ignore" }
  | { kind: "unsatisfiable" }
  | { kind: "ranges"; ranges: ByteRange[] };

export interface RangeOptions {
  /** Ranges accepted in one request before it is served whole. Default 16. */
  maxRanges?: number;
}

const SPEC = /^(\d*)-(\d*)$/;
// Numbers beyond 2^53 lose precision: a range-spec that large is as good as "to the end".
const MAX_DIGITS = 15;

/** Parses a Range field value against a representation of `size` bytes. */
export function parseRange(value: string, size: number, options: RangeOptions = {}): RangeResult {
  const maxRanges = options.maxRanges ?? 16;
  const eq = value.indexOf("=");
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== "bytes") return { kind: "ignore" };
  const specs = value
    .slice(eq + 1)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length === 0) return { kind: "ignore" };
  const ranges: ByteRange[] = [];
  let requested = 0;
  for (const spec of specs) {
    const m = SPEC.exec(spec);
    if (!m || (m[1] === "" && m[2] === "")) return { kind: "ignore" };
    if (m[1].length > MAX_DIGITS + 5 || m[2].length > MAX_DIGITS + 5) return { kind: "ignore" };
    const range = satisfiable(m[1], m[2], size);
    if (range === "invalid") return { kind: "ignore" };
    if (range === null) continue;
    ranges.push(range);
    requested += range.end - range.start + 1;
  }
  if (ranges.length === 0) return { kind: "unsatisfiable" };
  if (ranges.length > maxRanges || (ranges.length > 1 && requested > size)) {
    return { kind: "ignore" };
  }
  return { kind: "ranges", ranges: coalesce(ranges) };
}

// One range-spec: a range within [0, size), null when unsatisfiable, "invalid" when last < first.
function satisfiable(first: string, last: string, size: number): ByteRange | null | "invalid" {
  if (first === "") {
    // suffix-range: the last N bytes; N = 0 or an empty representation is unsatisfiable.
    const length = Number(last);
    if (length === 0 || size === 0) return null;
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Number(last);
  if (last !== "" && end < start) return "invalid";
  if (start >= size) return null;
  return { start, end: Math.min(end, size - 1) };
}

/**
 * Merges the ranges that overlap or touch. The result keeps the request's order (a merged
 * range stands where its first member stood): nginx does, and a client that listed its ranges
 * in an order may rely on it (RFC 9110 §14.1.2 asks clients for ascending order unless they
 * need another).
 */
export function coalesce(ranges: ByteRange[]): ByteRange[] {
  const order = ranges.map((r, index) => ({ ...r, index }));
  const sorted = [...order].sort((a, b) => a.start - b.start);
  const merged: Array<ByteRange & { index: number }> = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.end + 1) {
      last.end = Math.max(last.end, r.end);
      last.index = Math.min(last.index, r.index);
    } else merged.push({ ...r });
  }
  return merged.sort((a, b) => a.index - b.index).map(({ start, end }) => ({ start, end }));
}

/** The Content-Range value of one part: `bytes 0-99/1234`. */
export function contentRange(range: ByteRange, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}
