import { execFileSync } from "node:child_process";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { md5Crypt } from "../../src/middleware/apr1.js";
import {
  hashScheme,
  htpasswdFile,
  parseHtpasswd,
  verifyHash,
} from "../../src/middleware/htpasswd.js";
import { shaCrypt } from "../../src/middleware/sha-crypt.js";
import { findBinary, tempDir } from "../helpers/integration.js";

const HTPASSWD = findBinary("htpasswd");
const bytes = (s: string) => Buffer.from(s, "utf8");

// Each checked against a reference: openssl passwd -apr1 / -1, libxcrypt's crypt(3) through
// perl (the $5$/$6$ ones are Drepper's own test vectors), htpasswd -nbs, Python's hashlib.
const KNOWN: Array<[string, string, string]> = [
  ["secret", "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/", "md5-crypt"],
  ["", "$1$xy$JSgu5Zv4igzK2ULm5nTM30", "md5-crypt"],
  ["Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "sha-crypt"],
  [
    "Hello world!",
    "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
    "sha-crypt",
  ],
  ["secret", "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "sha1"],
  ["secret", "{SSHA}uJDd0BIdJ9Z7yDCZNWdgYeb33+cBAgME", "ssha"],
  ["abc", "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "bcrypt"],
];

describe("htpasswd hashes", () => {
  test.each(KNOWN)("%j matches %s (%s)", async (password, hash, scheme) => {
    expect(hashScheme(hash)).toBe(scheme);
    expect(await verifyHash(bytes(password), hash)).toBe(true);
    expect(await verifyHash(bytes(`${password}!`), hash)).toBe(false);
  });

  test("the generators give the reference strings back", () => {
    expect(md5Crypt(bytes("secret"), "abcdefgh")).toBe(KNOWN[0][1]);
    expect(md5Crypt(bytes(""), "xy", "$1$")).toBe(KNOWN[1][1]);
    expect(shaCrypt(bytes("Hello world!"), "saltstring", "5")).toBe(KNOWN[2][1]);
    expect(shaCrypt(bytes("Hello world!"), "saltstringsaltstring", "6", 10000)).toBe(KNOWN[3][1]);
  });

  test.each([
    ["DES crypt (htpasswd -d)", "rl0uE5Qm4Bkyc"],
    ["plaintext (htpasswd -p)", "secret"],
    ["{PLAIN}", "{PLAIN}secret"],
    ["yescrypt", "$y$j9T$abc$def"],
    ["a truncated {SHA}", "{SHA}5en6G6Mez"],
    ["$2x$", "$2x$05$/OK.fbVrR/bpIqNJ5ianF.CE5elHaaO4EbggVDjb8P19RukzXSM3e"],
    ["empty", ""],
  ])("%s is never a match", async (_name, hash) => {
    expect(hashScheme(hash)).toBeNull();
    expect(await verifyHash(bytes("secret"), hash)).toBe(false);
  });

  test.skipIf(!HTPASSWD).each([
    ["-B", "bcrypt"],
    ["-m", "md5-crypt"],
    ["-2", "sha-crypt"],
    ["-5", "sha-crypt"],
    ["-s", "sha1"],
  ])("htpasswd -nb %s with UTF-8 and odd passwords", async (flag, scheme) => {
    for (const password of ["secret", "pässwörd ✓", "a:b", " spaced ", "x".repeat(80)]) {
      const args = ["-nb", flag, ...(flag === "-B" ? ["-C", "4"] : []), "user", password];
      const hash = execFileSync(HTPASSWD as string, args, { encoding: "latin1" })
        .trim()
        .slice(5);
      expect(hashScheme(hash)).toBe(scheme);
      expect(await verifyHash(bytes(password), hash)).toBe(true);
      expect(await verifyHash(bytes(`!${password.slice(1)}`), hash)).toBe(false);
    }
  });
});

describe("htpasswd files", () => {
  test("parse: comments, blank lines, CRLF, a comment field, byte-string names, last wins", () => {
    const file = [
      "# users",
      "",
      "alice:{SHA}x\r",
      "bob:$apr1$a$b:Bob Smith",
      "caf\u00c3\u00a9:{SHA}y",
      "no-colon-line",
      "alice:{SHA}z",
    ].join("\n");
    expect([...parseHtpasswd(file)]).toEqual([
      ["alice", "{SHA}z"],
      ["bob", "$apr1$a$b"],
      ["caf\u00c3\u00a9", "{SHA}y"],
    ]);
  });

  test("re-read when the file changes; a missing file is an error naming it", async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, "htpasswd");
      writeFileSync(path, "a:{SHA}x\n");
      const load = htpasswdFile(path);
      expect([...(await load()).keys()]).toEqual(["a"]);
      writeFileSync(path, "a:{SHA}x\nbb:{SHA}y\n");
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      expect([...(await load()).keys()]).toEqual(["a", "bb"]);
      await expect(htpasswdFile(join(dir.path, "nope"))()).rejects.toThrow(
        /cannot read htpasswd file .*nope/,
      );
    } finally {
      dir.remove();
    }
  });
});
