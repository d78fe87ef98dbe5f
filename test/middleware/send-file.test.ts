import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { type SendFileOptions, sendFile } from "../../src/middleware/send-file.js";
import { inject } from "../../src/testing/inject.js";
import { buildStaticTree, DATA, HELLO, type StaticTree } from "../fixtures/static-tree.js";

let tree: StaticTree;
beforeAll(() => {
  tree = buildStaticTree();
});
afterAll(() => tree.remove());

const app =
  (file: string, options?: SendFileOptions): Application =>
  (environ, start) =>
    sendFile(environ, start, join(tree.top, file), options);

describe("sendFile", () => {
  test("sends any path the app names, with the staticFiles semantics", async () => {
    const res = await inject(app("secret.txt"));
    expect(res.statusCode).toBe(200);
    expect(res.header("etag")).toMatch(/^"/);
    const again = await inject(app("secret.txt"), {
      headers: { "If-None-Match": res.header("etag")! },
    });
    expect(again.statusCode).toBe(304);
  });

  test("options: contentType, headers, maxAge, precompressed", async () => {
    const res = await inject(
      app("root/style.css", {
        contentType: "text/css",
        headers: [["Content-Disposition", "attachment"]],
        maxAge: 10,
        precompressed: ["gzip"],
      }),
      { headers: { "Accept-Encoding": "gzip" } },
    );
    expect(res.header("content-type")).toBe("text/css");
    expect(res.header("content-disposition")).toBe("attachment");
    expect(res.header("cache-control")).toBe("public, max-age=10");
    expect(res.header("content-encoding")).toBe("gzip");
  });

  test("Range and HEAD", async () => {
    const res = await inject(app("root/data.bin"), { headers: { Range: "bytes=-10" } });
    expect(Buffer.compare(Buffer.from(res.body), DATA.subarray(990))).toBe(0);
    const head = await inject(app("root/hello.txt"), { method: "HEAD" });
    expect(head.header("content-length")).toBe(String(HELLO.length));
    expect(head.body.length).toBe(0);
  });

  test("a missing file or a directory is a 404", async () => {
    expect((await inject(app("nope.txt"))).statusCode).toBe(404);
    expect((await inject(app("root"))).statusCode).toBe(404);
  });
});

describe("sendFile leaks no file handle", () => {
  const openFds = () => readdirSync("/proc/self/fd").length;

  test.skipIf(!existsSync("/proc/self/fd"))(
    "a header start_response refuses, 304s, HEAD, 416 and precompressed misses",
    async () => {
      const before = openFds();
      const bad = app("root/hello.txt", { headers: [["Bad Header", "x"]] });
      const variants = app("root/style.css", { precompressed: ["br", "gzip"] });
      for (let i = 0; i < 20; i++) {
        expect((await inject(bad)).statusCode).toBe(500);
        await inject(variants, { headers: { "Accept-Encoding": "gzip", "If-None-Match": "*" } });
        await inject(variants, { method: "HEAD" });
        await inject(app("root/data.bin"), { headers: { Range: "bytes=5000-" } });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(openFds()).toBe(before);
    },
  );
});
