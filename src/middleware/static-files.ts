/**
 * `staticFiles(root, options?)`: serves the files below `root` for PATH_INFO; anything else is
 * a 404, or goes to `options.fallback`. Mount it with `dispatcher`.
 *
 * - PATH_INFO is bytes, never decoded again; NUL or ".." above the root -> 400.
 * - Dotfiles: `"ignore"` (404, the default), `"deny"` (403) or `"allow"`.
 * - Symlinks: `"within-root"` (the default: the opened file's real path must lie below the
 *   root's), `"follow"`, or `"deny"` (no symlink anywhere below the root). The file is opened
 *   once and its handle is checked and served: no check-then-open race.
 * - A directory without its "/" -> 301 to the same path with "/"; with it, the first `index`
 *   file, else 404. EACCES -> 403.
 * - Everything of `sendFile`: ETag, Last-Modified, §13.2.2 preconditions, Range, HEAD,
 *   precompressed variants, `maxAge` / `immutable`.
 *
 * @example
 * import { dispatcher, staticFiles } from "tsgi";
 * const app = dispatcher(mainApp, {
 *   "/static": staticFiles("./public", { precompressed: ["br", "gzip"], maxAge: 3600 }),
 * });
 */
import { readlink, realpath, stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Application, Body, Environ, StartResponse } from "../core/types.js";
import { closeQuietly, type OpenedFile, OpenRefused, openFile } from "./file-open.js";
import { plainResponse } from "./plain-response.js";
import { refused, type SendFileOptions, serveFile } from "./send-file.js";
import { directoryLocation, resolvePathInfo } from "./static-path.js";

export interface StaticFilesOptions extends Omit<SendFileOptions, "contentType"> {
  /** Index file names tried for a directory, in order; default `["index.html"]`; `[]` for none. */
  index?: readonly string[];
  /** `"ignore"` (404, default), `"deny"` (403) or `"allow"` names starting with ".". */
  dotfiles?: "ignore" | "deny" | "allow";
  /** `"within-root"` (default), `"follow"` or `"deny"`. */
  symlinks?: "within-root" | "follow" | "deny";
  /** The app for what is not found here (and for methods other than GET and HEAD). */
  fallback?: Application;
}

export function staticFiles(root: string, options: StaticFilesOptions = {}): Application {
  if (typeof root !== "string" || root === "") {
    throw new TypeError("staticFiles: root must be a directory path");
  }
  const rootPath = Buffer.from(resolve(root));
  const index = (options.index ?? ["index.html"]).map((name) => Buffer.from(name));
  const dotfiles = options.dotfiles ?? "ignore";
  const symlinks = options.symlinks ?? "within-root";
  let realRoot: Promise<Buffer> | undefined;

  const notFound = (environ: Environ, start: StartResponse): Body | Promise<Body> =>
    options.fallback
      ? options.fallback(environ, start)
      : plainResponse(environ, start, "404 Not Found", []);

  /** Opens a path below the root and checks where it really is (symlink policy). */
  const openBelowRoot = async (path: Buffer): Promise<OpenedFile | OpenRefused> => {
    const opened = await openFile(path, symlinks === "deny");
    if (opened instanceof OpenRefused || symlinks === "follow") return opened;
    realRoot ??= realpath(rootPath, { encoding: "buffer" });
    const [real, base] = await Promise.all([realPathOf(opened), realRoot]);
    const ok =
      real !== null &&
      (symlinks === "deny"
        ? real.equals(Buffer.concat([base, path.subarray(rootPath.length)]))
        : isWithin(real, base));
    if (ok) return opened;
    await closeQuietly(opened);
    return new OpenRefused(403, "symbolic link leads out of the root");
  };

  return async (environ, start) => {
    const method = environ.REQUEST_METHOD;
    if (method !== "GET" && method !== "HEAD") {
      if (options.fallback) return options.fallback(environ, start);
      return plainResponse(environ, start, "405 Method Not Allowed", [["Allow", "GET, HEAD"]]);
    }
    const resolved = resolvePathInfo(environ.PATH_INFO ?? "", dotfiles === "allow");
    if (resolved.kind === "bad-request")
      return plainResponse(environ, start, "400 Bad Request", []);
    if (resolved.kind === "dotfile") {
      if (dotfiles === "deny") return plainResponse(environ, start, "403 Forbidden", []);
      return notFound(environ, start);
    }
    const path = Buffer.concat([
      rootPath,
      ...resolved.segments.map((s) => Buffer.from(`/${s}`, "latin1")),
    ]);
    const opened = await openBelowRoot(path);
    if (opened instanceof OpenRefused) {
      return opened.status === 404 ? notFound(environ, start) : refused(environ, start, opened);
    }
    if (opened.stat.isFile() && !resolved.directory) {
      return serveFile(environ, start, opened, openBelowRoot, options);
    }
    const isDirectory = opened.stat.isDirectory();
    await closeQuietly(opened);
    if (!isDirectory) return notFound(environ, start);
    if (!resolved.directory) {
      const location = directoryLocation(
        environ.SCRIPT_NAME ?? "",
        resolved.segments,
        environ.QUERY_STRING ?? "",
      );
      return plainResponse(environ, start, "301 Moved Permanently", [["Location", location]]);
    }
    for (const name of index) {
      const candidate = await openBelowRoot(Buffer.concat([path, Buffer.from("/"), name]));
      if (candidate instanceof OpenRefused) continue;
      if (candidate.stat.isFile())
        return serveFile(environ, start, candidate, openBelowRoot, options);
      await closeQuietly(candidate);
    }
    return notFound(environ, start);
  };
}

/** Whether `path` is `base` or lies below it. */
function isWithin(path: Buffer, base: Buffer): boolean {
  if (path.equals(base) || base.equals(Buffer.from("/"))) return true;
  return (
    path.length > base.length &&
    path[base.length] === 0x2f &&
    path.subarray(0, base.length).equals(base)
  );
}

/**
 * The real path of what a handle opened: Linux names it in /proc/self/fd (race-free: it is the
 * opened file, not a path looked up again). Elsewhere realpath(), accepted only when it still
 * names the same inode as the handle.
 */
async function realPathOf(file: OpenedFile): Promise<Buffer | null> {
  try {
    return await readlink(`/proc/self/fd/${file.handle.fd}`, { encoding: "buffer" });
  } catch {
    try {
      const real = await realpath(file.path, { encoding: "buffer" });
      const again = await stat(real);
      return again.ino === file.stat.ino && again.dev === file.stat.dev ? real : null;
    } catch {
      return null;
    }
  }
}
