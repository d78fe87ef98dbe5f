/**
 * bcrypt verification (Provos and Mazières 1999, "A Future-Adaptable Password Scheme"), as
 * htpasswd -B, nginx and Apache read it: `$2a$`, `$2b$` and `$2y$` hashes. Node's crypto has
 * no Blowfish by default (OpenSSL 3 moved it to the legacy provider), so it is written out
 * here: EksBlowfishSetup, then "OrpheanBeholderScryDoubt" encrypted 64 times.
 *
 * `$2a$`, `$2b$` and `$2y$` differ only in bugs of particular C implementations with
 * passwords of 255+ bytes (OpenBSD) or bytes >= 0x80 (`$2x$`, crypt_blowfish's buggy mode,
 * which is refused): here the key is the password's bytes and a NUL, cut at 72 bytes, as all
 * three specify.
 */
import { piHexDigits } from "./pi-hex.js";

const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const MAGIC = "OrpheanBeholderScryDoubt";
const HASH = /^\$2([aby])\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

let initial: Int32Array | undefined;

/** P[0..17] then S0..S3 (4 x 256): 1042 words, the hex digits of pi. */
function initialState(): Int32Array {
  if (!initial) {
    const hex = piHexDigits(1042 * 8);
    initial = new Int32Array(1042);
    for (let i = 0; i < 1042; i++) initial[i] = Number.parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  }
  return initial;
}

/** bcrypt's base64: its own alphabet, no padding. */
export function decodeBase64(text: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    value = (value << 6) | ALPHABET.indexOf(char);
    bits += 6;
    if (bits >= 8 && at < bytes) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  return out;
}

export function encodeBase64(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 3) {
    const chunk = (data[i] << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((data.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += ALPHABET[(chunk >> (18 - 6 * c)) & 63];
  }
  return out;
}

/**
 * The Blowfish state: P (18 words) and the four S-boxes in one array, as `initialState`. Held as
 * Int32Array with `| 0` after each addition: V8 keeps small integers unboxed, where unsigned
 * words above 2^31 would become heap numbers (about 4x slower here).
 */
class Blowfish {
  readonly s = Int32Array.from(initialState());
  readonly lr = new Int32Array(2);

  /** Encrypts `lr` in place (16 rounds), F inlined. */
  encrypt(): void {
    const s = this.s;
    let l = this.lr[0];
    let r = this.lr[1];
    for (let i = 0; i < 16; i += 2) {
      l ^= s[i];
      r ^=
        (((s[18 + (l >>> 24)] + s[274 + ((l >>> 16) & 0xff)]) | 0) ^ s[530 + ((l >>> 8) & 0xff)]) +
        s[786 + (l & 0xff)];
      r ^= s[i + 1];
      l ^=
        (((s[18 + (r >>> 24)] + s[274 + ((r >>> 16) & 0xff)]) | 0) ^ s[530 + ((r >>> 8) & 0xff)]) +
        s[786 + (r & 0xff)];
    }
    this.lr[0] = r ^ s[17];
    this.lr[1] = l ^ s[16];
  }

  /** ExpandKey(state, salt, key); `salt` null is the all-zero salt. */
  expand(key: Int32Array, salt: Int32Array | null): void {
    const s = this.s;
    const lr = this.lr;
    for (let i = 0; i < 18; i++) s[i] ^= key[i % key.length];
    lr[0] = 0;
    lr[1] = 0;
    for (let i = 0; i < 1042; i += 2) {
      if (salt) {
        lr[0] ^= salt[i % 4];
        lr[1] ^= salt[(i + 1) % 4];
      }
      this.encrypt();
      s[i] = lr[0];
      s[i + 1] = lr[1];
    }
  }
}

/** Bytes as big-endian words, cycling through them (Blowfish's stream2word) to `count` words. */
function words(bytes: Uint8Array, count: number): Int32Array {
  const out = new Int32Array(count);
  for (let w = 0, at = 0; w < count; w++) {
    for (let b = 0; b < 4; b++, at = (at + 1) % bytes.length) out[w] = (out[w] << 8) | bytes[at];
  }
  return out;
}

/** The 23 hash bytes of bcrypt(cost, salt, password). Yields to the event loop as it works. */
export async function bcryptRaw(
  password: Uint8Array,
  salt: Uint8Array,
  cost: number,
): Promise<Uint8Array> {
  const keyBytes = new Uint8Array(Math.min(password.length + 1, 72));
  keyBytes.set(password.subarray(0, 72));
  const key = words(keyBytes, 18);
  const saltWords = words(salt, 4);
  const bf = new Blowfish();
  bf.expand(key, saltWords);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(saltWords, null);
    // A cost-12 hash takes a few hundred ms: let other requests run meanwhile.
    if (i % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
  }
  const text = words(Buffer.from(MAGIC, "latin1"), 6);
  for (let block = 0; block < 6; block += 2) {
    bf.lr[0] = text[block];
    bf.lr[1] = text[block + 1];
    for (let i = 0; i < 64; i++) bf.encrypt();
    text[block] = bf.lr[0];
    text[block + 1] = bf.lr[1];
  }
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeInt32BE(text[i], i * 4);
  return out.subarray(0, 23);
}

/** Whether `hash` is a bcrypt hash this module verifies (`$2a$`, `$2b$`, `$2y$`, cost 4-31). */
export function isBcryptHash(hash: string): boolean {
  const match = HASH.exec(hash);
  return match !== null && Number(match[2]) >= 4 && Number(match[2]) <= 31;
}

/** The full `$2b$CC$salthash` string for a password (bytes or UTF-8 text) and a 16-byte salt. */
export async function bcryptHash(
  password: Uint8Array | string,
  salt: Uint8Array,
  cost = 10,
  variant: "a" | "b" | "y" = "b",
): Promise<string> {
  if (salt.length !== 16) throw new TypeError("bcrypt: the salt must be 16 bytes");
  if (!Number.isInteger(cost) || cost < 4 || cost > 31)
    throw new TypeError("bcrypt: cost must be 4-31");
  const bytes = typeof password === "string" ? Buffer.from(password, "utf8") : password;
  const raw = await bcryptRaw(bytes, salt, cost);
  return `$2${variant}$${String(cost).padStart(2, "0")}$${encodeBase64(salt)}${encodeBase64(raw)}`;
}

/**
 * Whether `password` (bytes, or text as UTF-8) matches a bcrypt `hash`. The hash bytes are
 * compared whole, without an early exit. A malformed hash is false.
 */
export async function bcryptVerify(password: Uint8Array | string, hash: string): Promise<boolean> {
  const match = HASH.exec(hash);
  if (!match || !isBcryptHash(hash)) return false;
  const salt = decodeBase64(match[3], 16);
  const bytes = typeof password === "string" ? Buffer.from(password, "utf8") : password;
  const raw = await bcryptRaw(bytes, salt, Number(match[2]));
  const expected = decodeBase64(match[4], 23);
  let diff = 0;
  for (let i = 0; i < 23; i++) diff |= raw[i] ^ expected[i];
  return diff === 0;
}
