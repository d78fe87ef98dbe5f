/**
 * Apache/nginx htpasswd files: `user:hash` lines, `#` comments, anything after a second colon
 * ignored (nginx's `login:password:comment`). Hashes checked here: bcrypt (`$2y$`, `$2a$`,
 * `$2b$`: htpasswd -B), MD5-crypt (`$apr1$`: htpasswd -m, `$1$`), SHA-crypt (`$5$`, `$6$`:
 * htpasswd -2 / -5), `{SHA}` (htpasswd -s) and `{SSHA}`. Not checked, never a match: DES
 * crypt(3) (htpasswd -d: 8 chars max, which nginx and Apache still accept), `{PLAIN}` and
 * plaintext (htpasswd -p), yescrypt and whatever else a libc's crypt(3) may read.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { isMd5CryptHash, md5CryptVerify } from "./apr1.js";
import { bcryptVerify, isBcryptHash } from "./bcrypt.js";
import { isShaCryptHash, shaCryptVerify } from "./sha-crypt.js";

/** Users and their hashes; names are byte strings (the file's bytes, one char per byte). */
export type HtpasswdEntries = Map<string, string>;

/** Parses the text of a file read as latin-1 (byte strings), the later of two lines winning. */
export function parseHtpasswd(bytes: string): HtpasswdEntries {
  const entries: HtpasswdEntries = new Map();
  for (const raw of bytes.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) continue;
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const rest = line.slice(colon + 1);
    const end = rest.indexOf(":");
    entries.set(line.slice(0, colon), end < 0 ? rest : rest.slice(0, end));
  }
  return entries;
}

/** Which scheme a hash is in, or null when it is one this module does not check. */
export function hashScheme(
  hash: string,
): "bcrypt" | "md5-crypt" | "sha-crypt" | "sha1" | "ssha" | null {
  if (isBcryptHash(hash)) return "bcrypt";
  if (isMd5CryptHash(hash)) return "md5-crypt";
  if (isShaCryptHash(hash)) return "sha-crypt";
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) return "sha1";
  if (
    /^\{SSHA\}[A-Za-z0-9+/]+={0,2}$/.test(hash) &&
    Buffer.from(hash.slice(6), "base64").length > 20
  ) {
    return "ssha";
  }
  return null;
}

function sha1Equal(computed: Buffer, expected: Buffer): boolean {
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** Whether `password` (bytes) matches `hash`; an unsupported or malformed hash is false. */
export async function verifyHash(password: Uint8Array, hash: string): Promise<boolean> {
  switch (hashScheme(hash)) {
    case "bcrypt":
      return bcryptVerify(password, hash);
    case "md5-crypt":
      return md5CryptVerify(password, hash);
    case "sha-crypt":
      return shaCryptVerify(password, hash);
    case "sha1":
      return sha1Equal(
        createHash("sha1").update(password).digest(),
        Buffer.from(hash.slice(5), "base64"),
      );
    case "ssha": {
      // {SSHA}: base64(SHA-1(password + salt) + salt).
      const decoded = Buffer.from(hash.slice(6), "base64");
      const salt = decoded.subarray(20);
      const digest = createHash("sha1").update(password).update(salt).digest();
      return sha1Equal(digest, decoded.subarray(0, 20));
    }
    default:
      return false;
  }
}

/**
 * An htpasswd file read when first needed and again whenever its size or mtime changed (nginx
 * reads it on every request; a stat is cheaper). A file that cannot be read is an error with
 * its path, raised to the request (a 500), never an open door.
 */
export function htpasswdFile(path: string): () => Promise<HtpasswdEntries> {
  let cached: { key: string; entries: HtpasswdEntries } | undefined;
  return async () => {
    try {
      const info = await stat(path);
      const key = `${info.size}:${info.mtimeMs}:${info.ino}`;
      if (cached?.key !== key) {
        cached = { key, entries: parseHtpasswd(await readFile(path, "latin1")) };
      }
      return cached.entries;
    } catch (error) {
      throw new Error(`basicAuth: cannot read htpasswd file ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  };
}
