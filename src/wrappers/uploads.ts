/**
 * Uploaded files: held in memory while small, spilled to a temp file past `fileMemoryLimit`.
 * The client's filename is kept for display only; the temp file's name is random and lives in
 * a directory of its own (never a path from the request).
 */

import { type FileHandle, mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { nodeFs } from "./builtins.js";

export interface UploadedFile {
  /** The form field's name. */
  readonly fieldName: string;
  /**
   * The client's filename, reduced to its last path segment with control characters removed.
   * For display only: never use it as a path.
   */
  readonly filename: string;
  readonly contentType: string;
  readonly size: number;
  /** The temp file holding the bytes, or undefined when they are in memory. */
  readonly path: string | undefined;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  stream(): AsyncIterable<Uint8Array>;
}

/** "C:\\x\\..\\evil.txt" -> "evil.txt"; "../../etc/passwd" -> "passwd"; "" stays "". */
export function safeFilename(name: string): string {
  const base =
    name
      .split(/[/\\]/)
      .pop()
      ?.replace(/[\x00-\x1f\x7f]/g, "") ?? "";
  return base === "." || base === ".." ? "" : base;
}

/** Where the temp files of one form go: a fresh directory, removed by `dispose()`. */
export class TempDir {
  private dir: Promise<string> | undefined;
  private count = 0;

  constructor(private readonly parent = tmpdir()) {}

  async file(): Promise<{ path: string; handle: FileHandle }> {
    this.dir ??= mkdtemp(join(this.parent, "tsgi-upload-"));
    const path = join(await this.dir, `part-${++this.count}`);
    return { path, handle: await open(path, "wx", 0o600) };
  }

  async dispose(): Promise<void> {
    if (this.dir) await rm(await this.dir, { recursive: true, force: true });
  }
}

/** Reads one part's stream into memory or a temp file; rejects when the part is over its limit. */
export async function collectFile(
  part: Readable,
  meta: { fieldName: string; filename: string; contentType: string },
  memoryLimit: number,
  temp: TempDir,
): Promise<UploadedFile> {
  const chunks: Buffer[] = [];
  let size = 0;
  let file: { path: string; handle: FileHandle } | undefined;
  try {
    for await (const chunk of part as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (!file && size > memoryLimit) {
        file = await temp.file();
        for (const held of chunks.splice(0)) await file.handle.write(held);
      }
      if (file) await file.handle.write(chunk);
      else chunks.push(chunk);
    }
  } finally {
    await file?.handle.close();
  }
  return makeFile(meta, size, file?.path, chunks.length ? Buffer.concat(chunks) : Buffer.alloc(0));
}

function makeFile(
  meta: { fieldName: string; filename: string; contentType: string },
  size: number,
  path: string | undefined,
  memory: Buffer,
): UploadedFile {
  const bytes = async () => (path ? readFile(path) : memory);
  return {
    fieldName: meta.fieldName,
    filename: safeFilename(meta.filename),
    contentType: meta.contentType,
    size,
    path,
    bytes,
    text: async () => Buffer.from(await bytes()).toString("utf8"),
    stream: () => (path ? nodeFs().createReadStream(path) : once(memory)),
  };
}

async function* once(chunk: Uint8Array): AsyncGenerator<Uint8Array> {
  yield chunk;
}
