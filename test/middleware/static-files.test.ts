import { existsSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { FileWrapper } from "../../src/core/file-wrapper.js";
import type { Application } from "../../src/core/types.js";
import { toByteString } from "../../src/core/url.js";
import { dispatcher } from "../../src/middleware/dispatcher.js";
import { refusal } from "../../src/middleware/file-open.js";
import { staticFiles } from "../../src/middleware/static-files.js";
import { inject } from "../../src/testing/inject.js";
import {
  buildStaticTree,
  CSS,
  DATA,
  HELLO,
  SECRET,
  type StaticTree,
} from "../fixtures/static-tree.js";
import { testEnviron } from "../helpers/environ.js";

let tree: StaticTree;
beforeAll(() => {
  tree = buildStaticTree();
});
afterAll(() => tree.remove());

/** A request with PATH_INFO given as the byte string the server decoded. */
function get(
  app: Application,
  pathInfo: string,
  headers: Record<string, string> = {},
  method = "GET",
) {
  return inject(app, { method, headers, environ: { PATH_INFO: pathInfo, SCRIPT_NAME: "" } });
}

describe("staticFiles: paths", () => {
  const app = () => staticFiles(tree.root);

  test.each<[string, number, string?]>([
    ["/hello.txt", 200, HELLO],
    ["//hello.txt", 200, HELLO],
    ["/./hello.txt", 200, HELLO],
    ["/sub/../hello.txt", 200, HELLO],
    ["/sub/deeper/../../hello.txt", 200, HELLO],
    ["/%2e%2e", 200, "literally percent-2e-percent-2e\n"],
    ["/a b.txt", 200, "space\n"],
    ["/q?x.txt", 200, "question mark\n"],
    [toByteString("/café.txt"), 200, "utf-8 name\n"],
    ["/\xff.txt", 200, "byte ff name\n"],
    ["/back\\slash.txt", 200, "backslash\n"],
    ["/missing.txt", 404],
    ["/hello.txt/", 404],
    ["/hello.txt/x", 404],
    ["/..", 400],
    ["/../secret.txt", 400],
    ["/sub/../../secret.txt", 400],
    ["/../root/hello.txt", 400],
    ["/hello.txt\0.png", 400],
    ["/\0", 400],
    // Backslash is an ordinary byte on POSIX: no traversal.
    ["/..\\secret.txt", 404],
    // Encoded forms are names, never decoded again.
    ["/%2e%2e/secret.txt", 404],
    ["/%252e%252e", 404],
    ["/..%2fsecret.txt", 404],
  ])("%j -> %i", async (path, status, body) => {
    const res = await get(app(), path);
    expect(res.statusCode).toBe(status);
    if (body !== undefined)
      expect(Buffer.from(res.body).toString("latin1")).toBe(Buffer.from(body).toString("latin1"));
    expect(res.body.toString()).not.toContain(SECRET);
  });

  test("a FIFO is not served and does not hang", async () => {
    if (!existsSync(join(tree.root, "fifo"))) return;
    expect((await get(app(), "/fifo")).statusCode).toBe(404);
  });

  test("EACCES -> 403 (mapped from the error; root ignores file modes, so no real file here)", () => {
    expect(refusal(Object.assign(new Error("x"), { code: "EACCES" })).status).toBe(403);
    expect(refusal(Object.assign(new Error("x"), { code: "EPERM" })).status).toBe(403);
    expect(refusal(Object.assign(new Error("x"), { code: "ENOENT" })).status).toBe(404);
  });

  test.skipIf(process.getuid?.() === 0)("EACCES on a real file -> 403 (not as root)", async () => {
    const { chmodSync, writeFileSync } = await import("node:fs");
    const path = join(tree.root, "noperm.txt");
    writeFileSync(path, "x");
    chmodSync(path, 0);
    expect((await get(app(), "/noperm.txt")).statusCode).toBe(403);
  });
});

describe("staticFiles: dotfiles", () => {
  test.each<["ignore" | "deny" | "allow", string, number]>([
    ["ignore", "/.secret", 404],
    ["ignore", "/.hidden/file.txt", 404],
    ["ignore", "/sub/../.secret", 404],
    ["deny", "/.secret", 403],
    ["deny", "/.hidden/file.txt", 403],
    ["allow", "/.secret", 200],
    ["allow", "/.hidden/file.txt", 200],
    ["ignore", "/.", 200], // "." is not a dotfile: the root's index (none: 404 below)
  ])("%s %j -> %i", async (dotfiles, path, status) => {
    const res = await get(staticFiles(tree.root, { dotfiles, index: ["hello.txt"] }), path);
    expect(res.statusCode).toBe(status);
  });
});

describe("staticFiles: symlinks", () => {
  test.each<["within-root" | "follow" | "deny", string, number]>([
    ["within-root", "/link-in.txt", 200],
    ["within-root", "/link-dir/page.html", 200],
    ["within-root", "/link-out.txt", 403],
    ["within-root", "/link-up/secret.txt", 403],
    ["within-root", "/link-top/secret.txt", 403],
    ["within-root", "/link-sibling/x.txt", 403],
    ["within-root", "/link-etc/hostname", 403],
    ["deny", "/link-in.txt", 403],
    ["deny", "/link-dir/page.html", 403],
    ["deny", "/link-out.txt", 403],
    ["deny", "/hello.txt", 200],
    ["follow", "/link-out.txt", 200],
    ["follow", "/link-in.txt", 200],
  ])("%s %j -> %i", async (symlinks, path, status) => {
    const res = await get(staticFiles(tree.root, { symlinks }), path);
    expect(res.statusCode).toBe(status);
    if (symlinks !== "follow") expect(res.body.toString()).not.toContain(SECRET);
  });

  test("a root that is itself a symlink works", async () => {
    const res = await get(staticFiles(join(tree.root, "link-dir")), "/page.html");
    expect(res.statusCode).toBe(200);
  });
});

describe("staticFiles: directories", () => {
  const app = () => staticFiles(tree.root);

  test.each<[string, string, string, string]>([
    ["", "/dir", "", "/dir/"],
    ["", "/dir", "a=1&b=2", "/dir/?a=1&b=2"],
    ["/static", "/dir", "", "/static/dir/"],
    ["/static", "", "", "/static/"],
    ["", "//dir", "", "/dir/"],
    ["", "/sub/../dir", "", "/dir/"],
    ["//evil.example", "/dir", "", "/evil.example/dir/"],
    ["", "/link-dir", "", "/link-dir/"],
  ])("SCRIPT_NAME %j PATH_INFO %j ?%s -> 301 %s", async (script, path, query, location) => {
    const res = await inject(app(), {
      environ: { SCRIPT_NAME: script, PATH_INFO: path, QUERY_STRING: query },
    });
    expect(res.statusCode).toBe(301);
    expect(res.header("location")).toBe(location);
    expect(res.text()).not.toContain(path || "/static");
  });

  test("the Location is percent-encoded and never echoes markup", async () => {
    const { mkdirSync } = await import("node:fs");
    mkdirSync(join(tree.root, '<b>"x"'), { recursive: true });
    const res = await get(app(), '/<b>"x"');
    expect(res.statusCode).toBe(301);
    expect(res.header("location")).toBe("/%3Cb%3E%22x%22/");
    expect(res.text()).not.toContain("<b>");
  });

  test.each<[string, number, string?]>([
    ["/dir/", 200, "<p>index</p>\n"],
    ["/empty/", 404],
    ["/", 404],
    ["/sub/", 404],
  ])("%j -> %i", async (path, status, body) => {
    const res = await get(app(), path);
    expect(res.statusCode).toBe(status);
    if (body) expect(res.text()).toBe(body);
  });

  test("index names are tried in order; [] serves no index", async () => {
    expect(
      (await get(staticFiles(tree.root, { index: ["nope.html", "hello.txt"] }), "/")).text(),
    ).toBe(HELLO);
    expect((await get(staticFiles(tree.root, { index: [] }), "/dir/")).statusCode).toBe(404);
  });
});

describe("staticFiles: responses", () => {
  const app = () => staticFiles(tree.root);

  test("200: type with charset, length, strong ETag, Last-Modified, Accept-Ranges", async () => {
    const res = await get(app(), "/hello.txt");
    expect(res.header("content-type")).toBe("text/plain; charset=utf-8");
    expect(res.header("content-length")).toBe(String(HELLO.length));
    expect(res.header("etag")).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.header("last-modified")).toBe("Tue, 02 Jan 2024 03:04:05 GMT");
    expect(res.header("accept-ranges")).toBe("bytes");
    expect(res.header("vary")).toBeUndefined();
    expect(res.header("cache-control")).toBeUndefined();
    expect((await get(app(), "/data.bin")).header("content-type")).toBe("application/octet-stream");
  });

  test("HEAD: the same headers as GET, no body", async () => {
    for (const path of ["/hello.txt", "/missing", "/dir", "/..", "/style.css"]) {
      const headers = { "Accept-Encoding": "gzip" };
      const got = await get(app(), path, headers);
      const head = await get(app(), path, headers, "HEAD");
      expect(head.status).toBe(got.status);
      expect(head.headers).toEqual(got.headers);
      expect(head.body.length).toBe(0);
    }
  });

  test("other methods: 405 with Allow, or the fallback", async () => {
    const res = await get(app(), "/hello.txt", {}, "POST");
    expect(res.statusCode).toBe(405);
    expect(res.header("allow")).toBe("GET, HEAD");
  });

  test("fallback gets what is not found here (not dotfiles denied, not bad requests)", async () => {
    const fallback: Application = (_, start) => {
      start("200 OK", [["Content-Type", "text/plain"]]);
      return [Buffer.from("fallback")];
    };
    const withFallback = staticFiles(tree.root, { fallback });
    expect((await get(withFallback, "/missing")).text()).toBe("fallback");
    expect((await get(withFallback, "/.secret")).text()).toBe("fallback");
    expect((await get(withFallback, "/hello.txt", {}, "POST")).text()).toBe("fallback");
    expect((await get(withFallback, "/hello.txt")).text()).toBe(HELLO);
    expect((await get(withFallback, "/..")).statusCode).toBe(400);
  });

  test("maxAge and immutable", async () => {
    const res = await get(staticFiles(tree.root, { maxAge: 3600, immutable: true }), "/hello.txt");
    expect(res.header("cache-control")).toBe("public, max-age=3600, immutable");
  });

  test("304 carries only the §15.4.5 fields", async () => {
    const served = staticFiles(tree.root, { maxAge: 60, precompressed: ["gzip"] });
    const first = await get(served, "/style.css");
    const res = await get(served, "/style.css", { "If-None-Match": first.header("etag")! });
    expect(res.statusCode).toBe(304);
    expect(res.body.length).toBe(0);
    const names = res.headers.map(([n]) => n.toLowerCase()).sort();
    expect(names).toEqual(["cache-control", "etag", "vary"]);
  });

  test.each<[string, Record<string, string>, number, string?]>([
    ["If-Match mismatch", { "If-Match": '"nope"' }, 412],
    ["If-Match *", { "If-Match": "*" }, 200],
    ["If-Unmodified-Since before", { "If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT" }, 412],
    ["If-Modified-Since same", { "If-Modified-Since": "Tue, 02 Jan 2024 03:04:05 GMT" }, 304],
    ["If-Modified-Since before", { "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT" }, 200],
    ["If-None-Match *", { "If-None-Match": "*" }, 304],
  ])("%s -> %i", async (_, headers, status) => {
    expect((await get(app(), "/hello.txt", headers)).statusCode).toBe(status);
  });
});

describe("staticFiles: Range", () => {
  const app = () => staticFiles(tree.root);

  test("single range", async () => {
    const res = await get(app(), "/data.bin", { Range: "bytes=10-19" });
    expect(res.statusCode).toBe(206);
    expect(res.header("content-range")).toBe("bytes 10-19/1000");
    expect(res.header("content-length")).toBe("10");
    expect(Buffer.compare(res.body, DATA.subarray(10, 20))).toBe(0);
  });

  test("suffix longer than the file: the whole file as 206", async () => {
    const res = await get(app(), "/hello.txt", { Range: "bytes=-1000" });
    expect(res.statusCode).toBe(206);
    expect(res.header("content-range")).toBe(`bytes 0-${HELLO.length - 1}/${HELLO.length}`);
    expect(res.text()).toBe(HELLO);
  });

  test("unsatisfiable: 416 with bytes */LEN", async () => {
    const res = await get(app(), "/data.bin", { Range: "bytes=5000-" });
    expect(res.statusCode).toBe(416);
    expect(res.header("content-range")).toBe("bytes */1000");
  });

  test("invalid: ignored, 200", async () => {
    for (const range of ["bytes=abc", "items=0-1", "bytes=9-2"]) {
      const res = await get(app(), "/data.bin", { Range: range });
      expect(res.statusCode).toBe(200);
      expect(res.body.length).toBe(1000);
    }
  });

  test("several ranges: multipart/byteranges, parts in the request's order, lengths right", async () => {
    const res = await get(app(), "/data.bin", { Range: "bytes=500-509,0-4,-5" });
    expect(res.statusCode).toBe(206);
    const type = res.header("content-type")!;
    const boundary = /^multipart\/byteranges; boundary=(\w+)$/.exec(type)![1];
    expect(res.header("content-length")).toBe(String(res.body.length));
    const parts = Buffer.from(res.body).toString("latin1").split(`--${boundary}`);
    expect(parts.at(-1)).toBe("--\r\n");
    const ranges = parts.slice(1, -1).map((part) => {
      const [head, body] = part.split("\r\n\r\n");
      return [/Content-Range: (.*)/.exec(head)![1], body.slice(0, -2)];
    });
    const want = (s: number, e: number) => [
      `bytes ${s}-${e}/1000`,
      DATA.subarray(s, e + 1).toString("latin1"),
    ];
    expect(ranges).toEqual([want(500, 509), want(0, 4), want(995, 999)]);
  });

  test("overlapping ranges are coalesced into one", async () => {
    const res = await get(app(), "/data.bin", { Range: "bytes=0-9,5-14" });
    expect(res.header("content-range")).toBe("bytes 0-14/1000");
  });

  test("If-Range: the ETag must match strongly, a date exactly", async () => {
    const etag = (await get(app(), "/data.bin")).header("etag")!;
    const with_ = async (ifRange: string) =>
      (await get(app(), "/data.bin", { Range: "bytes=0-1", "If-Range": ifRange })).statusCode;
    expect(await with_(etag)).toBe(206);
    expect(await with_(`W/${etag}`)).toBe(200);
    expect(await with_('"other"')).toBe(200);
    expect(await with_("Tue, 02 Jan 2024 03:04:05 GMT")).toBe(206);
    expect(await with_("Tue, 02 Jan 2024 03:04:06 GMT")).toBe(200);
  });

  test("HEAD ignores Range (RFC 9110 §14.2: defined for GET only)", async () => {
    const res = await get(app(), "/data.bin", { Range: "bytes=0-1" }, "HEAD");
    expect(res.statusCode).toBe(200);
    expect(res.header("content-length")).toBe("1000");
  });
});

describe("staticFiles: precompressed", () => {
  const app = () => staticFiles(tree.root, { precompressed: ["br", "gzip"] });

  test.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ["gzip", "gzip"],
    ["gzip, br", "br"],
    ["br;q=0.1, gzip", "gzip"],
    ["gzip;q=0", undefined],
    ["identity", undefined],
  ])("Accept-Encoding %j -> %j", async (accept, coding) => {
    const res = await get(
      app(),
      "/style.css",
      accept === undefined ? {} : { "Accept-Encoding": accept },
    );
    expect(res.statusCode).toBe(200);
    expect(res.header("content-encoding")).toBe(coding);
    expect(res.header("vary")).toBe("Accept-Encoding");
    expect(res.header("content-type")).toBe("text/css; charset=utf-8");
    if (!coding) expect(res.text()).toBe(CSS);
  });

  test("each variant has its own ETag; Range is not applied to a variant", async () => {
    const plain = await get(app(), "/style.css");
    const gz = await get(app(), "/style.css", { "Accept-Encoding": "gzip", Range: "bytes=0-1" });
    expect(gz.header("etag")).not.toBe(plain.header("etag"));
    expect(gz.statusCode).toBe(200);
    expect(gz.header("accept-ranges")).toBeUndefined();
    const again = await get(app(), "/style.css", {
      "Accept-Encoding": "gzip",
      "If-None-Match": gz.header("etag")!,
    });
    expect(again.statusCode).toBe(304);
    expect(again.header("vary")).toBe("Accept-Encoding");
    const identity = await get(app(), "/style.css", { "If-None-Match": gz.header("etag")! });
    expect(identity.statusCode).toBe(200);
  });

  test("no Vary for a file without variants; a lone variant is not served for its base", async () => {
    expect(
      (await get(app(), "/hello.txt", { "Accept-Encoding": "gzip" })).header("vary"),
    ).toBeUndefined();
    expect((await get(app(), "/only.txt", { "Accept-Encoding": "gzip" })).statusCode).toBe(404);
  });
});

describe("staticFiles: streaming and close", () => {
  test("blocks of blockSize, and close() closes the file", async () => {
    const app = staticFiles(tree.root, { blockSize: 100 });
    const chunks: number[] = [];
    let closed = false;
    const res = await inject(
      (environ, start) => {
        const body = app(environ, start);
        return (async () => {
          const b = await body;
          const close = b.close?.bind(b);
          return Object.assign(
            (async function* () {
              for await (const chunk of b as AsyncIterable<Uint8Array>) {
                chunks.push(chunk.length);
                yield chunk;
              }
            })(),
            {
              close: async () => {
                await close?.();
                closed = true;
              },
            },
          );
        })();
      },
      { environ: { PATH_INFO: "/data.bin" } },
    );
    expect(res.body.length).toBe(1000);
    expect(chunks).toEqual(Array(10).fill(100));
    expect(closed).toBe(true);
  });

  test("a client that leaves: tsgi.signal closes the file, before the gateway's close()", async () => {
    const controller = new AbortController();
    const environ = testEnviron(
      { REQUEST_METHOD: "GET", PATH_INFO: "/data.bin", SCRIPT_NAME: "" },
      { signal: controller.signal },
    );
    const body = (await staticFiles(tree.root, { blockSize: 10 })(
      environ,
      () => async () => {},
    )) as FileWrapper;
    const iterator = body[Symbol.asyncIterator]();
    expect((await iterator.next()).value.length).toBe(10);
    const handle = body.file as FileHandle;
    expect(handle.fd).toBeGreaterThan(0);
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(handle.fd).toBe(-1);
    expect((await iterator.next()).done).toBe(true);
    await body.close(); // the gateway's close() afterwards is harmless
  });
});

describe("staticFiles mounted with dispatcher", () => {
  test("serves below the mount point and redirects with the mount in the Location", async () => {
    const notFound: Application = (_, start) => {
      start("404 Not Found", [["Content-Type", "text/plain"]]);
      return [Buffer.from("main app")];
    };
    const app = dispatcher(notFound, { "/static": staticFiles(tree.root) });
    expect((await inject(app, { url: "/static/hello.txt" })).text()).toBe(HELLO);
    expect((await inject(app, { url: "/static/caf%C3%A9.txt" })).text()).toBe("utf-8 name\n");
    expect((await inject(app, { url: "/static/dir" })).header("location")).toBe("/static/dir/");
    expect((await inject(app, { url: "/static" })).header("location")).toBe("/static/");
    expect((await inject(app, { url: "/other" })).text()).toBe("main app");
  });
});
