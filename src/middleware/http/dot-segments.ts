/** A path's segments once "", "." and ".." are resolved, and whether it named a directory. */
export interface Segments {
  segments: string[];
  /** The path ends in "/", "/." or "/..": it names a directory. */
  directory: boolean;
}

/**
 * RFC 3986 §5.2.4 dot-segment removal over a "/"-separated path, with empty segments ("//")
 * merged as web servers do; null when ".." climbs above the root, which no server-side path
 * may do (the router's 404, staticFiles' 400).
 */
export function removeDotSegments(path: string): Segments | null {
  const raw = path.split("/");
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return null;
      segments.pop();
    } else segments.push(segment);
  }
  const last = raw[raw.length - 1];
  return { segments, directory: last === "" || last === "." || last === ".." };
}
