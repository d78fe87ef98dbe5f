import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import {
  bcryptHash,
  bcryptVerify,
  decodeBase64,
  encodeBase64,
  isBcryptHash,
} from "../../src/middleware/bcrypt.js";
import { piHexDigits } from "../../src/middleware/pi-hex.js";
import { findBinary } from "../helpers/integration.js";

const HTPASSWD = findBinary("htpasswd");

// Published vectors: OpenBSD's and jBCrypt's test tables, crypt_blowfish's wrapper.c (the 0xFF one);
// each also checked with libxcrypt's crypt(3) (`perl -e 'print crypt(PW, SALT)'`).
const VECTORS: Array<[string | Uint8Array, string]> = [
  ["", "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s."],
  ["a", "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe"],
  ["abc", "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"],
  ["abcdefghijklmnopqrstuvwxyz", "$2a$06$.rCVZVOThsIa97pEDOxvGuRRgzG64bvtJ0938xuqzv18d3ZpQhstC"],
  [
    "~!@#$%^&*()      ~!@#$%^&*()PNBFRD",
    "$2a$06$fPIsBO8qRqkjj273rfaOI.HtSV9jLDpTbZn782DC6/t7qT67P6FfO",
  ],
  [
    new Uint8Array([0xff, 0xff, 0xa3]),
    "$2b$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e",
  ],
  ["x".repeat(100), "$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i"],
];

describe("bcrypt", () => {
  test("the Blowfish constants are pi's hex digits: P[0], P[1], S3[255]", () => {
    const hex = piHexDigits(1042 * 8);
    expect(hex.slice(0, 16)).toBe("243f6a8885a308d3");
    expect(hex.slice(18 * 8, 19 * 8)).toBe("d1310ba6"); // S0[0]
    expect(hex.slice(-8)).toBe("3ac372e6");
  });

  test.each(VECTORS)("%j -> %s", async (password, hash) => {
    expect(await bcryptVerify(password, hash)).toBe(true);
    const salt = decodeBase64(hash.slice(7, 29), 16);
    const cost = Number(hash.slice(4, 6));
    expect(await bcryptHash(password, salt, cost, hash[2] as "a" | "b")).toBe(hash);
  });

  test.each([
    ["abd", VECTORS[2][1]],
    ["", VECTORS[1][1]],
    [new Uint8Array([0xff, 0xff, 0xa4]), VECTORS[5][1]],
  ])("wrong password %j", async (password, hash) => {
    expect(await bcryptVerify(password, hash)).toBe(false);
  });

  test("only the first 72 bytes count", async () => {
    const hash = await bcryptHash("y".repeat(72), new Uint8Array(16), 4);
    expect(await bcryptVerify(`${"y".repeat(72)}anything`, hash)).toBe(true);
    expect(await bcryptVerify("y".repeat(71), hash)).toBe(false);
  });

  test.each([
    "",
    "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e", // crypt_blowfish's buggy mode
    "$2a$03$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.", // cost below 4
    "$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s", // short
    "$2a$06$DCq7YPn5Rq63x1Lad4cll!TV4S6ytwfsfvkgY8jIucDrjc8deX1s.",
    "$apr1$abc$def",
  ])("malformed or unsupported %j is never a match", async (hash) => {
    expect(isBcryptHash(hash)).toBe(false);
    expect(await bcryptVerify("", hash)).toBe(false);
  });

  test("base64 round trip in bcrypt's alphabet", () => {
    const bytes = Uint8Array.from({ length: 23 }, (_, i) => i * 11);
    expect(decodeBase64(encodeBase64(bytes), 23)).toEqual(bytes);
    expect(encodeBase64(new Uint8Array(16))).toBe("......................");
  });

  test.skipIf(!HTPASSWD)("hashes from htpasswd -nbB ($2y$), UTF-8 passwords", async () => {
    for (const password of ["secret", "pässwörd ✓", "with:colon"]) {
      const line = execFileSync(HTPASSWD as string, ["-nbB", "-C", "4", "u", password], {
        encoding: "utf8",
      });
      const hash = line.trim().slice(2);
      expect(hash).toMatch(/^\$2y\$04\$/);
      expect(await bcryptVerify(password, hash)).toBe(true);
      expect(await bcryptVerify(`${password}x`, hash)).toBe(false);
    }
  });
});
