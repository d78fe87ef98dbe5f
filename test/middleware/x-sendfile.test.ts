import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { staticFiles } from "../../src/middleware/static-files.js";
import { type XSendfileOptions, xSendfile } from "../../src/middleware/x-sendfile.js";
import { inject } from "../../src/testing/inject.js";
import { buildStaticTree, HELLO, type StaticTree } from "../fixtures/static-tree.js";

let tree: StaticTree;
beforeAll(() => {
  tree = buildStaticTree();
});
afterAll(() => tree.remove());

const get = (
  app: Application,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
) => inject(app, { method, headers, environ: { PATH_INFO: path } });

describe("xSendfile", () => {
  const accel = (): XSendfileOptions => ({
    type: "X-Accel-Redirect",
    map: { [`${tree.root}/`]: "/protected/" },
  });

  test.each<[string, string]>([
    ["/hello.txt", "/protected/hello.txt"],
    ["/a b.txt", "/protected/a%20b.txt"],
    ["/q?x.txt", "/protected/q%3Fx.txt"],
    ["/%2e%2e", "/protected/%252e%252e"],
    ["/\xff.txt", "/protected/%FF.txt"],
    ["/sub/page.html", "/protected/sub/page.html"],
  ])("X-Accel-Redirect for %j is %j, percent-encoded", async (path, value) => {
    const res = await get(xSendfile(staticFiles(tree.root), accel()), path);
    expect(res.statusCode).toBe(200);
    expect(res.header("x-accel-redirect")).toBe(value);
    expect(res.header("content-length")).toBeUndefined();
    expect(res.header("content-type")).toBeDefined();
    expect(res.body.length).toBe(0);
  });

  test("X-Sendfile carries the raw path, X-Lighttpd-Send-File a percent-encoded one", async () => {
    // A control byte cannot go into a header raw: that file is streamed.
    const raw = await get(
      xSendfile(staticFiles(tree.root), { type: "X-Sendfile" }),
      "/new\nline.txt",
    );
    expect(raw.header("x-sendfile")).toBeUndefined();
    expect(raw.text()).toBe("newline\n");
    const plain = await get(xSendfile(staticFiles(tree.root), { type: "X-Sendfile" }), "/\xff.txt");
    expect(plain.header("x-sendfile")).toBe(`${tree.root}/\xff.txt`);
    const lighttpd = await get(
      xSendfile(staticFiles(tree.root), { type: "X-Lighttpd-Send-File" }),
      "/a b.txt",
    );
    expect(lighttpd.header("x-lighttpd-send-file")).toBe(`${tree.root}/a%20b.txt`);
    const percent = await get(
      xSendfile(staticFiles(tree.root), { type: "X-Sendfile", encoding: "percent" }),
      "/a b.txt",
    );
    expect(percent.header("x-sendfile")).toBe(`${tree.root}/a%20b.txt`);
    const mapped = await get(
      xSendfile(staticFiles(tree.root), { type: "X-Sendfile", map: { [tree.root]: "/srv/www" } }),
      "/hello.txt",
    );
    expect(mapped.header("x-sendfile")).toBe("/srv/www/hello.txt");
  });

  test("a path outside every mapping is streamed", async () => {
    const app = xSendfile(staticFiles(tree.root), {
      type: "X-Accel-Redirect",
      map: { "/elsewhere": "/x/" },
    });
    const res = await get(app, "/hello.txt");
    expect(res.header("x-accel-redirect")).toBeUndefined();
    expect(res.text()).toBe(HELLO);
  });

  test("a mapping prefix matches whole segments only", async () => {
    const app = xSendfile(staticFiles(tree.root), {
      type: "X-Accel-Redirect",
      map: { [`${tree.root}/su`]: "/x/" },
    });
    expect((await get(app, "/sub/page.html")).header("x-accel-redirect")).toBeUndefined();
  });

  test("request headers never configure it", async () => {
    const app = xSendfile(staticFiles(tree.root), { type: "X-Sendfile" });
    const res = await get(app, "/hello.txt", {
      "X-Sendfile-Type": "X-Accel-Redirect",
      "X-Accel-Mapping": "/=/x/",
    });
    expect(res.header("x-accel-redirect")).toBeUndefined();
    expect(res.header("x-sendfile")).toBe(`${tree.root}/hello.txt`);
  });

  test("304, 206, HEAD and non-file bodies pass through", async () => {
    const app = xSendfile(staticFiles(tree.root), accel());
    const etag = (await get(staticFiles(tree.root), "/hello.txt")).header("etag")!;
    expect((await get(app, "/hello.txt", { "If-None-Match": etag })).statusCode).toBe(304);
    const partial = await get(app, "/hello.txt", { Range: "bytes=0-4" });
    expect(partial.statusCode).toBe(206);
    expect(partial.text()).toBe("Hello");
    const head = await get(app, "/hello.txt", {}, "HEAD");
    expect(head.header("x-accel-redirect")).toBeUndefined();
    expect((await get(app, "/missing")).statusCode).toBe(404);
  });

  test("recognises the body tsgi.file_wrapper returns, and closes the file", async () => {
    let closed = false;
    const app: Application = async (environ, start) => {
      const handle = await open(join(tree.root, "hello.txt"));
      const close = handle.close.bind(handle);
      handle.close = async () => {
        closed = true;
        await close();
      };
      start("200 OK", [["Content-Type", "text/plain"]]);
      return environ["tsgi.file_wrapper"]!(handle, { path: join(tree.root, "hello.txt") });
    };
    const res = await get(xSendfile(app, accel()), "/");
    expect(res.header("x-accel-redirect")).toBe("/protected/hello.txt");
    expect(closed).toBe(true);
  });

  test.each<[string, { start?: number; length?: number }, boolean]>([
    ["the whole file, no length", {}, true],
    ["the whole file, its exact length", { length: HELLO.length }, true],
    ["a length past the end", { length: HELLO.length + 100 }, true],
    ["a shorter length from 0, under a 200", { length: 5 }, false],
    ["a slice from past 0", { start: 1 }, false],
  ])(
    "a file_wrapper body of %s: handed over only when it is the whole file",
    async (_name, slice, handedOver) => {
      const app: Application = async (environ, start) => {
        const handle = await open(join(tree.root, "hello.txt"));
        start("200 OK", [["Content-Type", "text/plain"]]);
        return environ["tsgi.file_wrapper"]!(handle, {
          path: join(tree.root, "hello.txt"),
          ...slice,
        });
      };
      const res = await get(xSendfile(app, accel()), "/");
      if (handedOver) {
        expect(res.header("x-accel-redirect")).toBe("/protected/hello.txt");
        expect(res.body.length).toBe(0);
      } else {
        // The web server would send the whole file: the slice is streamed instead.
        expect(res.header("x-accel-redirect")).toBeUndefined();
        const start = slice.start ?? 0;
        expect(res.text()).toBe(HELLO.slice(start, start + (slice.length ?? Infinity)));
      }
    },
  );

  test("bad options are refused at construction", () => {
    const app: Application = () => [];
    expect(() => xSendfile(app, { type: "X-Foo" as never })).toThrow(/type must be one of/);
    expect(() => xSendfile(app, { type: "X-Accel-Redirect" })).toThrow(/needs a map/);
    expect(() => xSendfile(app, { type: "X-Sendfile", map: { relative: "/x" } })).toThrow(
      /absolute/,
    );
  });
});
