/**
 * Opening a file to serve it: once, without blocking on a FIFO, then fstat the handle (what is
 * served is what was checked, RFC-free but TOCTOU-free). Errors become the status to answer.
 */
import { constants, type Stats } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** A file opened for serving: its handle, the handle's stat, and the path it was opened by. */
export interface OpenedFile {
  handle: FileHandle;
  stat: Stats;
  path: Buffer;
}

/** An open that failed, as the status to answer: 404, 403 or 400. */
export class OpenRefused {
  constructor(
    readonly status: 400 | 403 | 404,
    readonly reason: string,
  ) {}
}

/** Opens a path; the caller checks what it got (a directory, a regular file). */
export type Opener = (path: Buffer) => Promise<OpenedFile | OpenRefused>;

/**
 * Opens `path` read-only. O_NONBLOCK: opening a FIFO must not hang the request (a regular
 * file's reads ignore the flag). `noFollow` adds O_NOFOLLOW (the last component only).
 */
export async function openFile(path: Buffer, noFollow = false): Promise<OpenedFile | OpenRefused> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    return refusal(error);
  }
  try {
    return { handle, stat: await handle.stat(), path };
  } catch (error) {
    await handle.close().catch(() => {});
    return refusal(error);
  }
}

/** The status for a failed open or stat. */
export function refusal(error: unknown): OpenRefused {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === "EACCES" || code === "EPERM") return new OpenRefused(403, "permission denied");
  // O_NOFOLLOW on a symlink.
  if (code === "ELOOP") return new OpenRefused(403, "symbolic link refused");
  if (code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "EISDIR") {
    return new OpenRefused(404, "not found");
  }
  throw error;
}

/** Closes a handle, ignoring a second close. */
export async function closeQuietly(file: OpenedFile | OpenRefused | undefined): Promise<void> {
  if (file && !(file instanceof OpenRefused)) await file.handle.close().catch(() => {});
}
