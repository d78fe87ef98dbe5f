/**
 * MD5-crypt: Apache's `$apr1$` (htpasswd -m, its default) and FreeBSD's `$1$`, the same
 * algorithm with a different magic (Poul-Henning Kamp's md5crypt.c, apr_md5.c).
 */
import { createHash, timingSafeEqual } from "node:crypto";

const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const MD5_CRYPT = /^(\$apr1\$|\$1\$)([^$]{0,8})\$([./0-9A-Za-z]{22})$/;

const md5 = (...parts: Uint8Array[]) => {
  const hash = createHash("md5");
  for (const part of parts) hash.update(part);
  return hash.digest();
};

/** crypt's base64: little-endian groups of 6 bits, `count` chars of `value`. */
export function to64(value: number, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++, value >>>= 6) out += ITOA64[value & 0x3f];
  return out;
}

/** The `$apr1$salt$hash` (or `$1$`) string for a password's bytes and a salt of up to 8 chars. */
export function md5Crypt(
  password: Uint8Array,
  salt: string,
  magic: "$apr1$" | "$1$" = "$apr1$",
): string {
  const saltBytes = Buffer.from(salt.slice(0, 8), "latin1");
  const alternate = md5(password, saltBytes, password);
  const parts: Uint8Array[] = [password, Buffer.from(magic, "latin1"), saltBytes];
  for (let left = password.length; left > 0; left -= 16) {
    parts.push(alternate.subarray(0, Math.min(16, left)));
  }
  for (let i = password.length; i > 0; i >>= 1) {
    parts.push(i & 1 ? new Uint8Array(1) : password.subarray(0, 1));
  }
  let final = md5(...parts);
  for (let i = 0; i < 1000; i++) {
    const round: Uint8Array[] = [i & 1 ? password : final];
    if (i % 3) round.push(saltBytes);
    if (i % 7) round.push(password);
    round.push(i & 1 ? final : password);
    final = md5(...round);
  }
  const f = final;
  const hash =
    to64((f[0] << 16) | (f[6] << 8) | f[12], 4) +
    to64((f[1] << 16) | (f[7] << 8) | f[13], 4) +
    to64((f[2] << 16) | (f[8] << 8) | f[14], 4) +
    to64((f[3] << 16) | (f[9] << 8) | f[15], 4) +
    to64((f[4] << 16) | (f[10] << 8) | f[5], 4) +
    to64(f[11], 2);
  return `${magic}${saltBytes.toString("latin1")}$${hash}`;
}

/** Whether a hash is an MD5-crypt hash this module checks. */
export const isMd5CryptHash = (hash: string): boolean => MD5_CRYPT.test(hash);

/** Whether `password` matches an `$apr1$` or `$1$` hash. */
export function md5CryptVerify(password: Uint8Array, hash: string): boolean {
  const match = MD5_CRYPT.exec(hash);
  if (!match) return false;
  const computed = Buffer.from(
    md5Crypt(password, match[2], match[1] as "$apr1$" | "$1$"),
    "latin1",
  );
  const expected = Buffer.from(hash, "latin1");
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
