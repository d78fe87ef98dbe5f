/**
 * `sendFile(environ, startResponse, path, options?)`: sends one file from inside an app with
 * the semantics of `staticFiles`: strong ETag and Last-Modified, the RFC 9110 §13.2.2
 * preconditions, Range (§14), HEAD, precompressed variants, Cache-Control.
 *
 * @example
 * import { sendFile } from "tsgi";
 * const app = (environ, startResponse) =>
 *   sendFile(environ, startResponse, "/srv/reports/latest.pdf", { maxAge: 60 });
 */
import type { Body, Environ, Headers, StartResponse } from "../core/types.js";
import { closeOnAbort, SegmentsBody, wrap } from "./file-body.js";
import { closeQuietly, type OpenedFile, type Opener, OpenRefused, openFile } from "./file-open.js";
import { chooseVariant, type Precompressed, typeOf, type Variant } from "./file-variants.js";
import { notModifiedHeaders, planResponse } from "./http/conditional-response.js";
import { formatHttpDate } from "./http/http-date.js";
import { multipartLayout } from "./http/multipart-byteranges.js";
import { type ByteRange, contentRange } from "./http/range.js";
import { plainResponse } from "./plain-response.js";

export interface SendFileOptions {
  /** Content-Type; default from the file name's extension (mime-types), with a charset for text. */
  contentType?: string;
  /** Cache-Control `max-age` in seconds (`public, max-age=N`). */
  maxAge?: number;
  /** Adds `immutable` to Cache-Control (RFC 8246): for fingerprinted file names. */
  immutable?: boolean;
  /**
   * Codings whose precompressed files (`file.br`, `file.gz`, `file.zst`) may be sent instead,
   * in the server's order of preference; chosen by Accept-Encoding q-values.
   */
  precompressed?: readonly Precompressed[];
  /** Ranges in one request before it is served whole; default 16. */
  maxRanges?: number;
  /** Bytes per body chunk; default 64 KiB. */
  blockSize?: number;
  /** More response headers (Content-Disposition, say). */
  headers?: Headers;
}

export type { Precompressed };

/** Sends the file at `path` (any path: the app chose it; staticFiles confines to a root). */
export async function sendFile(
  environ: Environ,
  startResponse: StartResponse,
  path: string | Uint8Array,
  options: SendFileOptions = {},
): Promise<Body> {
  const bytes = typeof path === "string" ? Buffer.from(path) : Buffer.from(path);
  const opened = await openFile(bytes);
  if (opened instanceof OpenRefused) return refused(environ, startResponse, opened);
  if (!opened.stat.isFile()) {
    await closeQuietly(opened);
    return refused(environ, startResponse, new OpenRefused(404, "not a regular file"));
  }
  return serveFile(environ, startResponse, opened, (p) => openFile(p), options);
}

/** The status page for a refused open. */
export function refused(environ: Environ, start: StartResponse, refusal: OpenRefused): Body {
  const text = { 400: "400 Bad Request", 403: "403 Forbidden", 404: "404 Not Found" }[
    refusal.status
  ];
  return plainResponse(environ, start, text, []);
}

/**
 * Serves an opened regular file; `open` opens its precompressed variants under the same rules
 * as the file itself. Takes ownership of `file`: every handle is closed by the body or here.
 */
export async function serveFile(
  environ: Environ,
  start: StartResponse,
  file: OpenedFile,
  open: Opener,
  options: SendFileOptions,
): Promise<Body> {
  let owned = file;
  try {
    const { chosen, anyVariant } = await chooseVariant(
      environ,
      file,
      open,
      options.precompressed ?? [],
    );
    owned = chosen.file;
    return await respond(environ, start, file, chosen, anyVariant, options);
  } catch (error) {
    // An error before a body took the handle (a header start_response refused, say).
    await closeQuietly(owned);
    throw error;
  }
}

async function respond(
  environ: Environ,
  start: StartResponse,
  file: OpenedFile,
  chosen: Variant,
  anyVariant: boolean,
  options: SendFileOptions,
): Promise<Body> {
  const { stat } = chosen.file;
  const contentType = options.contentType ?? (await typeOf(file.path));
  const suffix = chosen.coding ? `-${chosen.coding}` : "";
  const etag = `"${Math.floor(stat.mtimeMs).toString(16)}-${stat.size.toString(16)}${suffix}"`;
  const headers: Headers = [];
  // RFC 9110 §12.5.5: every response for a file with variants says it varies (nginx gzip_vary).
  if (anyVariant) headers.push(["Vary", "Accept-Encoding"]);
  headers.push(["ETag", etag], ["Last-Modified", formatHttpDate(stat.mtimeMs)]);
  const cacheControl = cacheControlOf(options);
  if (cacheControl) headers.push(["Cache-Control", cacheControl]);
  if (options.headers) headers.push(...options.headers);
  const plan = planResponse(environ, {
    etag,
    lastModified: Math.floor(stat.mtimeMs / 1000),
    size: stat.size,
    // A precompressed variant is sent whole, as nginx's gzip_static does (§14.2: a server MAY
    // ignore Range): a range of gzip bytes helps no client resume a decoded download.
    rangeable: chosen.coding === null,
    maxRanges: options.maxRanges,
  });
  if (plan.kind !== "full" && plan.kind !== "partial") await closeQuietly(chosen.file);
  switch (plan.kind) {
    case "not-modified":
      start("304 Not Modified", notModifiedHeaders(headers));
      return [];
    case "precondition-failed":
      return plainResponse(environ, start, "412 Precondition Failed", vary(headers));
    case "unsatisfiable":
      return plainResponse(environ, start, "416 Range Not Satisfiable", [
        ...vary(headers),
        ["Content-Range", `bytes */${stat.size}`],
      ]);
    case "partial":
      return partial(environ, start, chosen.file, plan.ranges, contentType, headers, options);
  }
  headers.unshift(["Content-Type", contentType]);
  if (chosen.coding) headers.push(["Content-Encoding", chosen.coding]);
  else headers.push(["Accept-Ranges", "bytes"]);
  headers.push(["Content-Length", String(stat.size)]);
  start("200 OK", headers);
  if (environ.REQUEST_METHOD === "HEAD") {
    await closeQuietly(chosen.file);
    return [];
  }
  return closeOnAbort(environ, wrap(chosen.file, 0, stat.size, options.blockSize));
}

function vary(headers: Headers): Headers {
  return headers.filter(([name]) => name === "Vary");
}

function partial(
  environ: Environ,
  start: StartResponse,
  file: OpenedFile,
  ranges: ByteRange[],
  contentType: string,
  headers: Headers,
  options: SendFileOptions,
): Body {
  const size = file.stat.size;
  if (ranges.length === 1) {
    const [range] = ranges;
    const length = range.end - range.start + 1;
    start("206 Partial Content", [
      ["Content-Type", contentType],
      ...headers,
      ["Accept-Ranges", "bytes"],
      ["Content-Range", contentRange(range, size)],
      ["Content-Length", String(length)],
    ]);
    return closeOnAbort(environ, wrap(file, range.start, length, options.blockSize));
  }
  const layout = multipartLayout(ranges, size, contentType);
  start("206 Partial Content", [
    ["Content-Type", layout.contentType],
    ...headers,
    ["Accept-Ranges", "bytes"],
    ["Content-Length", String(layout.length)],
  ]);
  return closeOnAbort(environ, new SegmentsBody(file, layout.segments, options.blockSize));
}

function cacheControlOf(options: SendFileOptions): string | undefined {
  if (options.maxAge === undefined) return options.immutable ? "public, immutable" : undefined;
  const seconds = Math.max(0, Math.floor(options.maxAge));
  return `public, max-age=${seconds}${options.immutable ? ", immutable" : ""}`;
}
