/**
 * Header views for the wrappers: the request's headers read from the environ's `HTTP_*`
 * meta-variables (RFC 3875 §4.1.18), and a response header list that keeps repeated names
 * (Set-Cookie) and their order. Names compare case-insensitively (RFC 9110 §5.1).
 */
import type { Environ, Headers } from "../core/types.js";

/** The environ key that holds request header `name`: "Content-Type" -> "CONTENT_TYPE". */
function environKey(name: string): string {
  const key = name.toUpperCase().replaceAll("-", "_");
  return key === "CONTENT_TYPE" || key === "CONTENT_LENGTH" ? key : `HTTP_${key}`;
}

/** The request headers of an environ; values are byte strings as in the environ. */
export class RequestHeaders {
  constructor(private readonly environ: Environ) {}

  get(name: string): string | null {
    const value = this.environ[environKey(name)];
    return typeof value === "string" ? value : null;
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** `[lower-case name, value]` for every header; `_` in a meta-variable name reads as `-`. */
  *entries(): IterableIterator<[string, string]> {
    for (const [key, value] of Object.entries(this.environ)) {
      if (typeof value !== "string") continue;
      if (key.startsWith("HTTP_")) yield [key.slice(5).toLowerCase().replaceAll("_", "-"), value];
      else if (key === "CONTENT_TYPE" || key === "CONTENT_LENGTH")
        yield [key.toLowerCase().replace("_", "-"), value];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

export type HeadersInit =
  | Headers
  | Record<string, string | readonly string[]>
  | Iterable<readonly [string, string]>;

/** Response headers: an ordered list of pairs, repeated names allowed. */
export class HeaderList {
  private pairs: Headers = [];

  constructor(init?: HeadersInit) {
    if (!init) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>)
        this.append(name, value);
      return;
    }
    for (const [name, value] of Object.entries(init)) {
      for (const one of typeof value === "string" ? [value] : value) this.append(name, one);
    }
  }

  get(name: string): string | null {
    const lower = name.toLowerCase();
    return this.pairs.find(([n]) => n.toLowerCase() === lower)?.[1] ?? null;
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.pairs.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== null;
  }

  /** Replaces every header of this name with one. */
  set(name: string, value: string): this {
    this.delete(name);
    this.pairs.push([name, value]);
    return this;
  }

  append(name: string, value: string): this {
    this.pairs.push([name, value]);
    return this;
  }

  delete(name: string): this {
    const lower = name.toLowerCase();
    this.pairs = this.pairs.filter(([n]) => n.toLowerCase() !== lower);
    return this;
  }

  /** A copy of the pairs, ready for `startResponse`. */
  toArray(): Headers {
    return this.pairs.map(([n, v]) => [n, v]);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.toArray()[Symbol.iterator]();
  }
}

/** Adds `token` to a comma-separated header such as Vary unless it is there already. */
export function addToken(headers: Headers, name: string, token: string): void {
  const lower = name.toLowerCase();
  const index = headers.findIndex(([n]) => n.toLowerCase() === lower);
  if (index < 0) {
    headers.push([name, token]);
    return;
  }
  const tokens = headers[index][1].split(",").map((t) => t.trim().toLowerCase());
  if (tokens.includes("*") || tokens.includes(token.toLowerCase())) return;
  headers[index] = [headers[index][0], `${headers[index][1]}, ${token}`];
}
