/**
 * SHA-crypt, `$5$` (SHA-256) and `$6$` (SHA-512): Ulrich Drepper's "Unix crypt using SHA-256
 * and SHA-512" (2008), what htpasswd -2 / -5 write and glibc's and libxcrypt's crypt(3) read.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { to64 } from "./apr1.js";

const SHA_CRYPT = /^\$([56])\$(?:rounds=(\d+)\$)?([^$]{0,16})\$([./0-9A-Za-z]+)$/;

// The byte order of the final encoding (the spec's b64_from_24bit calls), per algorithm.
const ORDER256 = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];
const ORDER512 = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

/** `bytes` repeated (and cut) to `length` bytes. */
function stretch(bytes: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let at = 0; at < length; at += bytes.length) out.set(bytes.subarray(0, length - at), at);
  return out;
}

/** The hash string for a password's bytes, a salt (up to 16 chars) and a round count. */
export function shaCrypt(
  password: Uint8Array,
  salt: string,
  variant: "5" | "6",
  rounds?: number,
): string {
  const algorithm = variant === "5" ? "sha256" : "sha512";
  const size = variant === "5" ? 32 : 64;
  const digest = (...parts: Uint8Array[]) => {
    const hash = createHash(algorithm);
    for (const part of parts) hash.update(part);
    return hash.digest();
  };
  const saltBytes = Buffer.from(salt.slice(0, 16), "latin1");
  const count = rounds === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, rounds));
  const b = digest(password, saltBytes, password);
  const a: Uint8Array[] = [password, saltBytes, stretch(b, password.length)];
  for (let n = password.length; n > 0; n >>= 1) a.push(n & 1 ? b : password);
  const aDigest = digest(...a);
  const p = stretch(digest(...new Array(password.length).fill(password)), password.length);
  const s = stretch(digest(...new Array(16 + aDigest[0]).fill(saltBytes)), saltBytes.length);
  let c = aDigest;
  for (let i = 0; i < count; i++) {
    const round: Uint8Array[] = [i & 1 ? p : c];
    if (i % 3) round.push(s);
    if (i % 7) round.push(p);
    round.push(i & 1 ? c : p);
    c = digest(...round);
  }
  let encoded = "";
  for (const [x, y, z] of size === 32 ? ORDER256 : ORDER512) {
    encoded += to64((c[x] << 16) | (c[y] << 8) | c[z], 4);
  }
  encoded += size === 32 ? to64((c[31] << 8) | c[30], 3) : to64(c[63], 2);
  const prefix = rounds === undefined ? "" : `rounds=${count}$`;
  return `$${variant}$${prefix}${saltBytes.toString("latin1")}$${encoded}`;
}

export const isShaCryptHash = (hash: string): boolean => SHA_CRYPT.test(hash);

/** Whether `password` matches a `$5$` or `$6$` hash. */
export function shaCryptVerify(password: Uint8Array, hash: string): boolean {
  const match = SHA_CRYPT.exec(hash);
  if (!match) return false;
  const rounds = match[2] === undefined ? undefined : Number(match[2]);
  const computed = Buffer.from(
    shaCrypt(password, match[3], match[1] as "5" | "6", rounds),
    "latin1",
  );
  const expected = Buffer.from(hash, "latin1");
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
