/**
 * Conditional requests (RFC 9110 §13): the four preconditions evaluated in the order of
 * §13.2.2, and If-Range (§13.1.5). Pure: the caller passes the request's header values and the
 * selected representation's validators.
 */
import {
  type EntityTag,
  parseEntityTag,
  parseEntityTagList,
  strongMatch,
  weakMatch,
} from "./entity-tag.js";
import { parseHttpDate } from "./http-date.js";

/** The selected representation's validators. */
export interface Validators {
  /** The ETag field value as sent (`"abc"` or `W/"abc"`). */
  etag?: string;
  /** Last-Modified, in whole seconds since the epoch. */
  lastModified?: number;
}

/** The request's conditional header fields, as raw values (environ HTTP_IF_*). */
export interface Conditions {
  method: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** What the preconditions decide: go on, or answer 304 / 412 instead. */
export type PreconditionResult = "proceed" | "not-modified" | "precondition-failed";

/** The conditional header fields of an environ. */
export function conditionsOf(environ: Record<string, unknown>): Conditions {
  return {
    method: String(environ.REQUEST_METHOD ?? "GET"),
    ifMatch: environ.HTTP_IF_MATCH as string | undefined,
    ifNoneMatch: environ.HTTP_IF_NONE_MATCH as string | undefined,
    ifModifiedSince: environ.HTTP_IF_MODIFIED_SINCE as string | undefined,
    ifUnmodifiedSince: environ.HTTP_IF_UNMODIFIED_SINCE as string | undefined,
  };
}

/**
 * RFC 9110 §13.2.2, for a representation that exists:
 * 1. If-Match false -> 412;  2. else If-Unmodified-Since false -> 412;
 * 3. If-None-Match false -> 304 for GET/HEAD, else 412;
 * 4. else (GET/HEAD) If-Modified-Since false -> 304.
 * (Step 5, If-Range, is `ifRangeHolds`.)
 */
export function evaluatePreconditions(c: Conditions, v: Validators): PreconditionResult {
  const current = v.etag === undefined ? undefined : parseEntityTag(v.etag);
  const safe = c.method === "GET" || c.method === "HEAD";
  if (c.ifMatch !== undefined) {
    if (!ifMatchHolds(c.ifMatch, current)) return "precondition-failed";
  } else if (c.ifUnmodifiedSince !== undefined && v.lastModified !== undefined) {
    // §13.1.4: ignored when not a valid HTTP-date, or without a modification date.
    const date = parseHttpDate(c.ifUnmodifiedSince);
    if (date !== undefined && v.lastModified > date) return "precondition-failed";
  }
  if (c.ifNoneMatch !== undefined) {
    if (!ifNoneMatchHolds(c.ifNoneMatch, current))
      return safe ? "not-modified" : "precondition-failed";
  } else if (safe && c.ifModifiedSince !== undefined && v.lastModified !== undefined) {
    // §13.1.3: only for GET and HEAD; an invalid date is ignored.
    const date = parseHttpDate(c.ifModifiedSince);
    if (date !== undefined && v.lastModified <= date) return "not-modified";
  }
  return "proceed";
}

// §13.1.1: "*" holds for any current representation; otherwise a strong match with one tag.
function ifMatchHolds(value: string, current: EntityTag | undefined): boolean {
  const list = parseEntityTagList(value);
  if (list === "*") return true;
  return current !== undefined && list.some((tag) => strongMatch(tag, current));
}

// §13.1.2: "*" fails for any current representation; otherwise false on a weak match.
function ifNoneMatchHolds(value: string, current: EntityTag | undefined): boolean {
  const list = parseEntityTagList(value);
  if (list === "*") return false;
  return current === undefined || !list.some((tag) => weakMatch(tag, current));
}

/**
 * RFC 9110 §13.1.5: whether a Range request may be honoured. An entity-tag must match strongly
 * (a weak one never does); an HTTP-date must equal Last-Modified exactly. Anything else,
 * including a malformed value, means "send the whole representation".
 */
export function ifRangeHolds(value: string | undefined, v: Validators): boolean {
  if (value === undefined) return true;
  const text = value.trim();
  if (text.startsWith('"') || text.startsWith("W/")) {
    const tag = parseEntityTag(text);
    const current = v.etag === undefined ? undefined : parseEntityTag(v.etag);
    return tag !== undefined && current !== undefined && strongMatch(tag, current);
  }
  const date = parseHttpDate(text);
  return date !== undefined && v.lastModified !== undefined && date === v.lastModified;
}
