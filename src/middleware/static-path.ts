/**
 * From PATH_INFO to the file below a root: the pure part of staticFiles.
 *
 * PATH_INFO is already decoded bytes (RFC 3875 §4.1.5; latin-1 byte string): it is never
 * percent-decoded again, so `/%252e%252e` names a file literally called `%2e%2e`.
 */

import { quoteBytes } from "../core/url.js";
import { removeDotSegments } from "./http/dot-segments.js";

export type Resolved =
  | { kind: "bad-request"; reason: string }
  | { kind: "dotfile" }
  | {
      kind: "path";
      /** The normalised segments below the root, byte strings. */
      segments: string[];
      /** Whether the request names a directory (ends in "/", "/." or "/.."). */
      directory: boolean;
    };

/**
 * Normalises PATH_INFO: empty and "." segments dropped, ".." removes the one before it.
 * NUL, or ".." climbing above the root, is a bad request (never resolved against the disk).
 * A segment starting with "." is a dotfile (RFC-free convention: hidden by default).
 */
export function resolvePathInfo(pathInfo: string, allowDotfiles: boolean): Resolved {
  if (pathInfo.includes("\0")) return { kind: "bad-request", reason: "NUL byte in the path" };
  const resolved = removeDotSegments(pathInfo);
  if (resolved === null) return { kind: "bad-request", reason: "the path climbs above the root" };
  const { segments } = resolved;
  if (!allowDotfiles && segments.some((s) => s.startsWith("."))) return { kind: "dotfile" };
  return { kind: "path", segments, directory: pathInfo !== "" && resolved.directory };
}

/**
 * The Location of a directory's redirect: an absolute path (RFC 9110 §10.2.2 allows a relative
 * reference), percent-encoded from SCRIPT_NAME and the normalised segments, with the query
 * kept. It never starts with "//" (a network-path reference to another host: serve-static
 * CVE-2015-1164); a "\" is encoded (browsers read "/\" as "//").
 */
export function directoryLocation(scriptName: string, segments: string[], query: string): string {
  const script = scriptName.split("/").filter((s) => s !== "");
  const path = [...script, ...segments].map(quoteBytes).join("/");
  const location = path === "" ? "/" : `/${path}/`;
  const q = query.replace(
    /[^\x21-\x7e]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return q ? `${location}?${q}` : location;
}
