/**
 * Property (fast-check): no PATH_INFO, however built from dots, slashes, percent signs,
 * backslashes, NUL, encoded forms and the tree's own names and symlinks, ever yields a byte
 * of the secret that lies outside the root.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { staticFiles } from "../../src/middleware/static-files.js";
import { inject } from "../../src/testing/inject.js";
import { buildStaticTree, SECRET, type StaticTree } from "../fixtures/static-tree.js";

let tree: StaticTree;
beforeAll(() => {
  tree = buildStaticTree();
});
afterAll(() => tree.remove());

const TOKENS = [
  ".",
  "..",
  "/",
  "//",
  "%",
  "%2e",
  "%2E",
  "%2f",
  "%5c",
  "%252e",
  "%00",
  "\\",
  "\0",
  "2e",
  "root",
  "secret.txt",
  "rootsibling",
  "x.txt",
  "link-up",
  "link-top",
  "link-out.txt",
  "link-sibling",
  "link-dir",
  "link-etc",
  "sub",
  "hello.txt",
  ".hidden",
  "\xff",
  "~",
  "?",
];

const pathArb = fc
  .tuple(fc.boolean(), fc.array(fc.constantFrom(...TOKENS), { maxLength: 12 }))
  .map(([slash, parts]) => (slash ? "/" : "") + parts.join(""));

describe("staticFiles never serves a byte from outside the root", () => {
  for (const symlinks of ["within-root", "deny"] as const) {
    test(`symlinks: ${symlinks}, PATH_INFO as given`, async () => {
      const app = staticFiles(tree.root, {
        symlinks,
        dotfiles: "allow",
        index: ["secret.txt", "x.txt"],
      });
      await fc.assert(
        fc.asyncProperty(pathArb, async (path) => {
          const res = await inject(app, { environ: { PATH_INFO: path } });
          expect(Buffer.from(res.body).toString("latin1")).not.toContain(SECRET);
          expect([200, 301, 400, 403, 404]).toContain(res.statusCode);
        }),
        { numRuns: 400 },
      );
    });
  }

  test("through a URL the gateway decodes first", async () => {
    const app = staticFiles(tree.root, { dotfiles: "allow" });
    const urlArb = pathArb
      .filter((p) => !p.includes("\0"))
      .map((p) => encodeURI(p).replace(/^(?!\/)/, "/"));
    await fc.assert(
      fc.asyncProperty(urlArb, async (url) => {
        const res = await inject(app, { url });
        expect(Buffer.from(res.body).toString("latin1")).not.toContain(SECRET);
      }),
      { numRuns: 300 },
    );
  });
});
