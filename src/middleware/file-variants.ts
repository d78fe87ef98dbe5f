/**
 * Precompressed variants (`file.br`, `file.gz`, `file.zst`) chosen by Accept-Encoding, and the
 * Content-Type of a file name.
 */
import type { Environ } from "../core/types.js";
import { closeQuietly, type OpenedFile, type Opener, OpenRefused } from "./file-open.js";
import { negotiateEncoding } from "./http/accept-encoding.js";

/** A precompressed coding and the suffix of its file. */
export type Precompressed = "br" | "gzip" | "zstd";
const SUFFIX: Record<Precompressed, string> = { br: ".br", gzip: ".gz", zstd: ".zst" };

export interface Variant {
  file: OpenedFile;
  coding: Precompressed | null;
}

/**
 * Opens the variants that exist (under the caller's rules) and picks the one the client
 * prefers, or the file itself. Closes every handle it does not return.
 */
export async function chooseVariant(
  environ: Environ,
  file: OpenedFile,
  open: Opener,
  codings: readonly Precompressed[],
): Promise<{ chosen: Variant; anyVariant: boolean }> {
  if (codings.length === 0) return { chosen: { file, coding: null }, anyVariant: false };
  const found: Variant[] = [];
  for (const coding of codings) {
    const variant = await open(Buffer.concat([file.path, Buffer.from(SUFFIX[coding])]));
    if (variant instanceof OpenRefused) continue;
    if (variant.stat.isFile()) found.push({ file: variant, coding });
    else await closeQuietly(variant);
  }
  const accept = environ.HTTP_ACCEPT_ENCODING;
  const coding = negotiateEncoding(
    accept,
    found.map((v) => v.coding as string),
  );
  const chosen = found.find((v) => v.coding === coding) ?? { file, coding: null };
  for (const v of found) if (v !== chosen) await closeQuietly(v.file);
  if (chosen.file !== file) await closeQuietly(file);
  return { chosen, anyVariant: found.length > 0 };
}

// mime-types is loaded by the first file served, never by an app that serves none.
let mime: Promise<{ contentType(name: string): string | false }> | undefined;

/** Content-Type from the name's extension, with a charset for text; octet-stream otherwise. */
export async function typeOf(path: Uint8Array): Promise<string> {
  mime ??= import("mime-types").then((m) => m.default ?? m);
  const name = Buffer.from(path).toString("latin1");
  const base = name.slice(name.lastIndexOf("/") + 1);
  return (await mime).contentType(base) || "application/octet-stream";
}
