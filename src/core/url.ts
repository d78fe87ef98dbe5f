import type { Environ } from "./types.js";

/** Decodes a byte string (one char per byte, as in the environ) as UTF-8 text. */
export function decodeUtf8(bytes: string): string {
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** Encodes text as UTF-8 into a byte string, the form environ values, statuses and headers take. */
export function toByteString(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/**
 * Percent-decodes a URL path into a byte string: "%FF" becomes "\u00ff". Malformed escapes stay
 * as they are (RFC 3875 §4.1.5: PATH_INFO is the decoded path).
 */
export function unquoteToBytes(path: string): string {
  if (!path.includes("%")) return path;
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

// RFC 3986 unreserved plus the sub-delims and ":@/" that a path may hold unescaped.
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/** Percent-encodes a byte string path so it can be put back into a URL. */
export function quoteBytes(path: string): string {
  let out = "";
  for (const char of path) {
    if (PATH_SAFE.test(char)) out += char;
    else out += `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The application's root URL: scheme, host and SCRIPT_NAME (PEP 3333 "URL Reconstruction"). */
export function applicationUrl(environ: Environ): string {
  const scheme = environ["tsgi.url_scheme"];
  let url = `${scheme}://`;
  const host = environ.HTTP_HOST;
  if (host) {
    url += host;
  } else {
    url += environ.SERVER_NAME;
    const port = environ.SERVER_PORT;
    if ((scheme === "https" && port !== "443") || (scheme === "http" && port !== "80"))
      url += `:${port}`;
  }
  return url + quoteBytes(environ.SCRIPT_NAME || "");
}

/** The full request URL, with the query string unless `withQuery` is false. */
export function requestUrl(environ: Environ, withQuery = true): string {
  let url = applicationUrl(environ) + quoteBytes(environ.PATH_INFO || "");
  if (withQuery && environ.QUERY_STRING) url += `?${environ.QUERY_STRING}`;
  return url;
}

/**
 * Moves one path segment from PATH_INFO to SCRIPT_NAME and returns it, as wsgiref's
 * `shift_path_info`: `null` when PATH_INFO is empty, `""` for a trailing slash.
 */
export function shiftPathInfo(environ: Environ): string | null {
  const pathInfo = environ.PATH_INFO;
  if (!pathInfo) return null;
  const parts = pathInfo.split("/");
  const middle = parts.slice(1, -1).filter((part) => part !== "" && part !== ".");
  const rest = parts.length > 1 ? [parts[0], ...middle, parts[parts.length - 1]] : parts;
  const name = rest[1] ?? "";
  rest.splice(1, 1);
  let scriptName = normalize(`${environ.SCRIPT_NAME || ""}/${name}`);
  if (scriptName.endsWith("/")) scriptName = scriptName.slice(0, -1);
  if (!name && !scriptName.endsWith("/")) scriptName += "/";
  environ.SCRIPT_NAME = scriptName;
  environ.PATH_INFO = rest.join("/");
  return name === "." ? null : name;
}

// posixpath.normpath for the absolute and relative paths shiftPathInfo builds.
function normalize(path: string): string {
  const absolute = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part !== ".." || !absolute) out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined || ".";
}
