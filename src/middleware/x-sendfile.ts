/**
 * `xSendfile(app, { type, map })`: hands file bodies to the web server instead of streaming
 * them through the gateway. A body from `tsgi.file_wrapper` (or `sendFile` / `staticFiles`)
 * that carries its path and covers the whole file becomes an empty body plus one header:
 *
 * - `X-Accel-Redirect` (nginx): the value is a URI of an `internal` location, built with `map`
 *   (filesystem prefix -> URL prefix, required) and percent-encoded, since nginx unescapes the
 *   value and treats `?` as the start of arguments.
 * - `X-Sendfile` (Apache mod_xsendfile) and `X-Lighttpd-Send-File` (lighttpd): the file's
 *   path, through `map` when given (filesystem prefix -> the server's path). `encoding` says
 *   how: `"raw"` bytes for X-Sendfile by default (mod_xsendfile 0.12, what Debian ships, reads
 *   the value literally), `"percent"` for X-Lighttpd-Send-File (lighttpd url-decodes it; use
 *   it with mod_xsendfile 1.0's `XSendFileUnescape On` too). A raw path holding a control byte
 *   cannot be a header value: that file is streamed.
 *
 * Configuration comes from these options only, never from request headers (Rack
 * CVE-2025-61780, CVE-2026-34830: a client chose the type or the mapping). A path outside
 * every mapping is simply streamed. Partial and HEAD responses pass through.
 *
 * @example
 * import { staticFiles, xSendfile } from "tsgi";
 * // nginx: location /protected/ { internal; alias /srv/files/; }
 * const app = xSendfile(staticFiles("/srv/files"), {
 *   type: "X-Accel-Redirect",
 *   map: { "/srv/files/": "/protected/" },
 * });
 */
import { type FileWrapper, isFileWrapper } from "../core/file-wrapper.js";
import type { Application } from "../core/types.js";
import { quoteBytes } from "../core/url.js";
import { captureResponse, closeBody } from "./capture-response.js";

export type XSendfileType = "X-Accel-Redirect" | "X-Sendfile" | "X-Lighttpd-Send-File";

export interface XSendfileOptions {
  type: XSendfileType;
  /** Filesystem prefix -> URL prefix (X-Accel-Redirect) or the server's path prefix. */
  map?: Record<string, string>;
  /**
   * How the path goes into the header: `"percent"`-encoded, or the `"raw"` bytes. Default:
   * raw for X-Sendfile, percent for the others (X-Accel-Redirect is always percent-encoded:
   * nginx unescapes it and reads `?` as arguments).
   */
  encoding?: "percent" | "raw";
}

const TYPES: readonly XSendfileType[] = ["X-Accel-Redirect", "X-Sendfile", "X-Lighttpd-Send-File"];

interface Mapping {
  from: Buffer;
  to: string;
}

export function xSendfile(app: Application, options: XSendfileOptions): Application {
  const { type } = options ?? {};
  if (!TYPES.includes(type)) {
    throw new TypeError(
      `xSendfile: type must be one of ${TYPES.join(", ")}, got ${JSON.stringify(type)}`,
    );
  }
  const mappings = mappingsOf(options.map ?? {});
  if (type === "X-Accel-Redirect" && mappings.length === 0) {
    throw new TypeError(
      "xSendfile: X-Accel-Redirect needs a map of { filesystemPrefix: urlPrefix }",
    );
  }
  const encode =
    type !== "X-Accel-Redirect" &&
    (options.encoding ?? (type === "X-Sendfile" ? "raw" : "percent")) === "raw"
      ? encodeRaw
      : encodePercent;
  return async (environ, start) => {
    const capture = captureResponse(start);
    const body = await app(environ, capture.start);
    const held = capture.held();
    const whole = isFileWrapper(body) && body.path !== undefined && (await coversFile(body));
    const value =
      whole && held?.status.startsWith("200") ? headerFor(mappings, body.path!, encode) : null;
    if (!held || value === null) {
      capture.release();
      return body;
    }
    await closeBody(body);
    const headers = held.headers.filter(
      ([name]) => !/^(content-length|accept-ranges)$/i.test(name),
    );
    start(held.status, [...headers, [type, value]]);
    return [];
  };
}

/**
 * Whether the body is the whole file: the web server sends whole files only, so a slice (a
 * start past 0, or a length short of the file's size, which a hand-made wrapper may give
 * under a 200) is streamed. The size comes from the open file itself (a FileHandle's stat()).
 */
async function coversFile(body: FileWrapper): Promise<boolean> {
  if (body.start !== 0) return false;
  if (body.length === Number.POSITIVE_INFINITY) return true;
  const stat = (body.file as { stat?: () => Promise<{ size: number }> }).stat;
  if (typeof stat !== "function") return false;
  try {
    return body.length >= (await stat.call(body.file)).size;
  } catch {
    return false; // unknown size: streaming is always right
  }
}

function mappingsOf(map: Record<string, string>): Mapping[] {
  return Object.entries(map)
    .map(([from, to]) => {
      if (!from.startsWith("/"))
        throw new TypeError(`xSendfile: map key ${JSON.stringify(from)} is not an absolute path`);
      if (!to.startsWith("/"))
        throw new TypeError(`xSendfile: map value ${JSON.stringify(to)} must start with "/"`);
      return { from: Buffer.from(from.replace(/\/+$/, "")), to: to.replace(/\/+$/, "") };
    })
    .sort((a, b) => b.from.length - a.from.length); // the longest prefix wins
}

/** The header value for a file, or null when no mapping covers it (then it is streamed). */
function headerFor(
  mappings: Mapping[],
  path: string | Uint8Array,
  encode: (bytes: Buffer) => string | null,
): string | null {
  const bytes = Buffer.from(typeof path === "string" ? Buffer.from(path) : path);
  if (!bytes.toString("latin1").startsWith("/") || bytes.includes(0)) return null;
  if (mappings.length === 0) return encode(bytes);
  for (const { from, to } of mappings) {
    const within =
      bytes.length > from.length &&
      bytes[from.length] === 0x2f &&
      bytes.subarray(0, from.length).equals(from);
    if (!within) continue;
    const rest = bytes.subarray(from.length);
    // A mapped path may not climb out of its prefix once the server normalises it.
    if (rest.toString("latin1").split("/").includes("..")) return null;
    const encoded = encode(rest);
    return encoded === null ? null : to + encoded;
  }
  return null;
}

/** Percent-encodes every byte outside a URL path's safe set: "%", "?", "#", spaces, 8-bit bytes. */
function encodePercent(bytes: Buffer): string {
  return quoteBytes(bytes.toString("latin1"));
}

function encodeRaw(bytes: Buffer): string | null {
  return bytes.some((byte) => byte < 0x20 || byte === 0x7f) ? null : bytes.toString("latin1");
}
