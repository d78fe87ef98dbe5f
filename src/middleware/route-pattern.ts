/**
 * Route patterns: `/users/:id(int)`, `/files/:rest(path)`, `/d/:a-:b`. Matching walks the path
 * segment by segment, and inside a segment each parameter ends at the first occurrence of the
 * literal after it: no regular expression, no backtracking, so the work is linear in the path
 * (path-to-regexp's ReDoS, CVE-2024-45296, came from backtracking over `/:a-:b`).
 */
import { ContractError } from "../core/errors.js";

export interface Converter {
  /** Whether a path segment (decoded text) is a value of this type. */
  accepts(text: string): boolean;
  parse(text: string): unknown;
  /** The text of a value for URL building; throws when it is not one. */
  format(value: unknown): string;
}

const DIGITS = /^[0-9]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function textOf(value: unknown): string {
  if (typeof value !== "string" && typeof value !== "number")
    throw new TypeError(`expected text, got ${typeof value}`);
  return String(value);
}

export const CONVERTERS: Record<string, Converter> = {
  string: { accepts: (t) => t.length > 0, parse: (t) => t, format: textOf },
  path: { accepts: (t) => t.length > 0, parse: (t) => t, format: textOf },
  int: {
    accepts: (t) => DIGITS.test(t) && Number.isSafeInteger(Number(t)),
    parse: Number,
    format: (v) => {
      if (!Number.isSafeInteger(v) || (v as number) < 0)
        throw new TypeError(`expected a non-negative integer, got ${String(v)}`);
      return String(v);
    },
  },
  uuid: {
    accepts: (t) => UUID.test(t),
    parse: (t) => t.toLowerCase(),
    format: (v) => {
      if (typeof v !== "string" || !UUID.test(v))
        throw new TypeError(`expected a UUID, got ${String(v)}`);
      return v.toLowerCase();
    },
  },
};

type Part = { literal: string } | { param: string; type: string; converter: Converter };

export interface CompiledPattern {
  source: string;
  /** One list of parts per path segment; the last may be a lone `(path)` parameter. */
  segments: Part[][];
  /** The last segment is a `(path)` parameter that takes the rest of the path. */
  rest: boolean;
  names: string[];
}

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)(?:\(([A-Za-z_]+)\))?/;

/** Compiles a pattern; a malformed one is a ContractError that says what is wrong. */
export function compilePattern(source: string, converters = CONVERTERS): CompiledPattern {
  if (!source.startsWith("/"))
    throw new ContractError(`route ${JSON.stringify(source)} must start with "/"`);
  const segments = source
    .slice(1)
    .split("/")
    .map((text) => compileSegment(source, text, converters));
  const names = segments.flat().flatMap((p) => ("param" in p ? [p.param] : []));
  if (new Set(names).size !== names.length)
    throw new ContractError(`route ${JSON.stringify(source)} repeats a parameter name`);
  const rest = segments.some((parts, i) => {
    const isPath = parts.some((p) => "param" in p && p.type === "path");
    if (isPath && (parts.length !== 1 || i !== segments.length - 1)) {
      throw new ContractError(
        `route ${JSON.stringify(source)}: a (path) parameter must be the whole last segment`,
      );
    }
    return isPath;
  });
  return { source, segments, rest, names };
}

function compileSegment(
  source: string,
  text: string,
  converters: Record<string, Converter>,
): Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < text.length) {
    const param = text[i] === ":" ? PARAM.exec(text.slice(i)) : null;
    if (param) {
      const type = param[2] ?? "string";
      const converter = converters[type];
      if (!converter)
        throw new ContractError(
          `route ${JSON.stringify(source)}: unknown parameter type ${JSON.stringify(type)}`,
        );
      if (parts.length && "param" in parts[parts.length - 1]) {
        throw new ContractError(
          `route ${JSON.stringify(source)}: two parameters need a literal between them`,
        );
      }
      parts.push({ param: param[1], type, converter });
      i += param[0].length;
      continue;
    }
    const next = text.indexOf(":", i + 1);
    const end = next < 0 ? text.length : next;
    const last = parts[parts.length - 1];
    if (last && "literal" in last) last.literal += text.slice(i, end);
    else parts.push({ literal: text.slice(i, end) });
    i = end;
  }
  return parts.length ? parts : [{ literal: "" }];
}

/** The parameters when `segments` (the path split at "/") match the pattern, else null. */
export function matchPattern(
  pattern: CompiledPattern,
  segments: string[],
): Record<string, unknown> | null {
  const fixed = pattern.rest ? pattern.segments.length - 1 : pattern.segments.length;
  if (pattern.rest ? segments.length <= fixed : segments.length !== fixed) return null;
  const params: Record<string, unknown> = {};
  for (let i = 0; i < fixed; i++) {
    if (!matchSegment(pattern.segments[i], segments[i], params)) return null;
  }
  if (pattern.rest) {
    const part = pattern.segments[fixed][0] as Extract<Part, { param: string }>;
    const value = segments.slice(fixed).join("/");
    if (!part.converter.accepts(value)) return null;
    params[part.param] = part.converter.parse(value);
  }
  return params;
}

function matchSegment(parts: Part[], text: string, params: Record<string, unknown>): boolean {
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if ("literal" in part) {
      if (!text.startsWith(part.literal, pos)) return false;
      pos += part.literal.length;
      continue;
    }
    const next = parts[i + 1] as { literal: string } | undefined;
    // The first occurrence of the next literal ends the value: one forward scan, no retries.
    const end = next ? text.indexOf(next.literal, pos + 1) : text.length;
    if (end < 0) return false;
    const value = text.slice(pos, end);
    if (value.includes("/") || !part.converter.accepts(value)) return false;
    params[part.param] = part.converter.parse(value);
    pos = end;
  }
  return pos === text.length;
}

/** The path for `params`, each value percent-encoded (RFC 3986 §3.3). */
export function buildPath(pattern: CompiledPattern, params: Record<string, unknown>): string {
  const out = pattern.segments.map((parts) =>
    parts
      .map((part) =>
        "literal" in part ? encodeURIComponent(part.literal) : formatParam(pattern, part, params),
      )
      .join(""),
  );
  return `/${out.join("/")}`;
}

function formatParam(
  pattern: CompiledPattern,
  part: Extract<Part, { param: string }>,
  params: Record<string, unknown>,
): string {
  if (!(part.param in params))
    throw new ContractError(
      `route ${JSON.stringify(pattern.source)} needs parameter ${JSON.stringify(part.param)}`,
    );
  let text: string;
  try {
    text = part.converter.format(params[part.param]);
  } catch (err) {
    throw new ContractError(
      `route ${JSON.stringify(pattern.source)}: parameter ${JSON.stringify(part.param)}: ${(err as Error).message}`,
    );
  }
  const segments = part.type === "path" ? text.split("/") : [text];
  // A URL the router would itself refuse or redirect is not built: no empty, "." or ".." segment.
  const bad = segments.some((s) => s === "" || s === "." || s === "..");
  const slash = part.type !== "path" && text.includes("/");
  if (bad || slash || !part.converter.accepts(text)) {
    throw new ContractError(
      `route ${JSON.stringify(pattern.source)}: ${JSON.stringify(text)} is not a valid ${part.type} for ${JSON.stringify(part.param)}`,
    );
  }
  return segments.map(encodeURIComponent).join("/");
}
