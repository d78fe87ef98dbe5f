import { afterAll, beforeAll, expect, test } from "vitest";
import { type Backend, cliBuilt, fetchReply, type Reply } from "../fixtures/fastcgi/harness.js";
import { startStaticBackend, tsgiLocation } from "../fixtures/static-backend.js";
import { buildStaticTree, SECRET, type StaticTree } from "../fixtures/static-tree.js";
import { describeIntegration, need } from "../helpers/integration.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import type { ServerHandle } from "../helpers/server-process.js";

/**
 * Intended differences, by request: what each side answers and why tsgi's answer is right.
 * A case not listed here must agree exactly.
 */
const INTENDED: Record<string, { ref: number; app: number; why: string }> = {
  "/sub/": {
    ref: 403,
    app: 404,
    why: "as /empty/: a directory without index is not found (RFC 9110 §15.5.5)",
  },
  "/empty/": {
    ref: 403,
    app: 404,
    why: "a directory without index: nothing to serve is a 404 (RFC 9110 §15.5.5); nginx answers 403",
  },
  "/link-out.txt": {
    ref: 200,
    app: 403,
    why: "nginx follows symlinks out of the root (disable_symlinks off); tsgi's default is within-root",
  },
  "/link-up/secret.txt": { ref: 200, app: 403, why: "as above: the secret outside the root" },
  "/link-top/secret.txt": { ref: 200, app: 403, why: "as above" },
  "/only.txt": { ref: 404, app: 404, why: "(agrees without Accept-Encoding)" },
  "/bad-range-abc": {
    ref: 416,
    app: 200,
    why: "RFC 9110 §14.2: an invalid Range is ignored; nginx answers 416",
  },
  "/bad-range-reversed": {
    ref: 416,
    app: 200,
    why: "RFC 9110 §14.1.1: last-pos < first-pos makes the range-spec invalid, so Range is ignored",
  },
};

let tree: StaticTree;
let nginx: ServerHandle;
let backend: Backend;

function get(
  prefix: "/ref" | "/app",
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Reply> {
  return fetchReply(nginx.port, prefix + path, { method, headers });
}

async function both(path: string, headers: Record<string, string> = {}, method = "GET") {
  const [ref, app] = await Promise.all([
    get("/ref", path, headers, method),
    get("/app", path, headers, method),
  ]);
  return { ref, app };
}

/** Body parts of a multipart/byteranges response, as [Content-Range, bytes] (boundaries differ). */
function parts(reply: Reply): Array<[string, string]> {
  const type = String(reply.headers["content-type"]);
  const boundary = /boundary=(\S+)/.exec(type)?.[1];
  if (!boundary) return [];
  return reply.body
    .toString("latin1")
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const cut = part.indexOf("\r\n\r\n");
      return [/Content-Range: (.*)/i.exec(part.slice(0, cut))?.[1] ?? "", part.slice(cut + 4, -2)];
    });
}

/** Same status and, for 2xx, the same body bytes (error pages are each server's own, §15). */
function expectSame(ref: Reply, app: Reply, what: string) {
  expect(app.status, `${what}: status`).toBe(ref.status);
  if (ref.status >= 200 && ref.status < 300) {
    if (String(ref.headers["content-type"]).startsWith("multipart/byteranges")) {
      expect(parts(app), `${what}: parts`).toEqual(parts(ref));
    } else expect(app.body.equals(ref.body), `${what}: body`).toBe(true);
  }
  expect(app.body.toString("latin1")).not.toContain(SECRET);
}

describeIntegration(
  "staticFiles against nginx as the reference",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    beforeAll(async () => {
      tree = buildStaticTree();
      backend = await startStaticBackend({ TSGI_STATIC_ROOT: tree.root });
      nginx = await startNginx(`
    server {
        listen 127.0.0.1:{{PORT}};
        server_name localhost;
        gzip_vary on;
        location /ref/ {
            alias ${tree.root}/;
            gzip_static on;
            location ~ /\\. { return 404; }
        }
        ${tsgiLocation("/app", backend)}
    }`);
    }, 30_000);
    afterAll(async () => {
      await nginx?.stop();
      await backend?.stop();
      tree?.remove();
    });

    test.each([
      "/hello.txt",
      "/data.bin",
      "/empty.txt",
      "/%252e%252e",
      "/%2e%2e",
      "/a%20b.txt",
      "/q%3Fx.txt",
      "/caf%C3%A9.txt",
      "/%FF.txt",
      "/back%5Cslash.txt",
      "/back\\slash.txt",
      "/sub/page.html",
      "/sub/../hello.txt",
      "/./hello.txt",
      "//hello.txt",
      "/sub/deeper/../../hello.txt",
      "/missing.txt",
      "/hello.txt/",
      "/../secret.txt",
      "/..%2fsecret.txt",
      "/%2e%2e/%2e%2e/secret.txt",
      "/%2e%2e%2f%2e%2e%2fsecret.txt",
      "/sub/%2e%2e/%2e%2e/%2e%2e/secret.txt",
      "/hello.txt%00.png",
      "/.secret",
      "/.hidden/file.txt",
      "/sub/../.secret",
      "/%2esecret",
      "/dir/",
      "/empty/",
      "/sub/",
      "/link-in.txt",
      "/link-dir/page.html",
      "/link-out.txt",
      "/link-up/secret.txt",
      "/link-top/secret.txt",
      "/fifo",
      "/only.txt",
    ])("GET %s", async (path) => {
      const { ref, app } = await both(path);
      const intended = INTENDED[path];
      if (intended) {
        expect([ref.status, app.status], intended.why).toEqual([intended.ref, intended.app]);
        expect(app.body.toString("latin1")).not.toContain(SECRET);
      } else expectSame(ref, app, path);
    });

    test("a directory without its slash: 301 to the same path with the slash, query kept", async () => {
      const { ref, app } = await both("/dir?x=1");
      expect([ref.status, app.status]).toEqual([301, 301]);
      // Intended: nginx sends an absolute URL, tsgi an absolute path (RFC 9110 §10.2.2 allows a
      // relative reference); both name the same resource.
      expect(ref.headers.location).toBe(`http://127.0.0.1:${nginx.port}/ref/dir/?x=1`);
      expect(app.headers.location).toBe("/app/dir/?x=1");
    });

    test("HEAD: the same status and Content-Length as GET, no body, on both", async () => {
      for (const path of ["/hello.txt", "/data.bin", "/dir/", "/missing.txt"]) {
        const { ref, app } = await both(path, {}, "HEAD");
        expect(app.status, path).toBe(ref.status);
        expect(app.body.length + ref.body.length).toBe(0);
        if (ref.status === 200)
          expect(app.headers["content-length"]).toBe(ref.headers["content-length"]);
      }
    });

    test.each<[string, string]>([
      ["single", "bytes=0-4"],
      ["open end", "bytes=995-"],
      ["suffix", "bytes=-5"],
      ["oversized suffix", "bytes=-5000"],
      ["end past the length", "bytes=990-5000"],
      ["unsatisfiable", "bytes=5000-"],
      ["unsatisfiable suffix", "bytes=-0"],
      ["two ranges", "bytes=0-4,10-14"],
      ["three ranges, unordered", "bytes=500-509,0-4,-5"],
      ["more than the length in sum", "bytes=0-999,0-999"],
      ["unknown unit", "items=0-4"],
      ["abc", "bytes=abc"],
      ["reversed", "bytes=5-2"],
    ])("Range %s (%s)", async (name, range) => {
      const { ref, app } = await both("/data.bin", { Range: range });
      const intended = INTENDED[`/bad-range-${name}`];
      if (intended) {
        expect([ref.status, app.status], intended.why).toEqual([intended.ref, intended.app]);
        return;
      }
      expectSame(ref, app, range);
      if (ref.status === 416) {
        expect(app.headers["content-range"]).toBe(ref.headers["content-range"]);
      }
    });

    test("overlapping ranges: nginx sends two parts, tsgi coalesces them (RFC 9110 §15.3.7.2 MAY)", async () => {
      const { ref, app } = await both("/data.bin", { Range: "bytes=0-9,5-14" });
      expect([ref.status, app.status]).toEqual([206, 206]);
      expect(parts(ref).map(([r]) => r)).toEqual(["bytes 0-9/1000", "bytes 5-14/1000"]);
      expect(app.headers["content-range"]).toBe("bytes 0-14/1000");
    });

    test("If-Range with each server's own validators", async () => {
      const { ref, app } = await both("/data.bin");
      for (const [name, first] of [
        ["ref", ref],
        ["app", app],
      ] as const) {
        const prefix = name === "ref" ? "/ref" : "/app";
        const etag = String(first.headers.etag);
        const lastModified = String(first.headers["last-modified"]);
        const status = async (ifRange: string) =>
          (await get(prefix, "/data.bin", { Range: "bytes=0-1", "If-Range": ifRange })).status;
        expect(await status(etag), `${name} etag`).toBe(206);
        expect(await status('"other"'), `${name} other`).toBe(200);
        expect(await status(lastModified), `${name} date`).toBe(206);
        expect(await status("Mon, 01 Jan 2024 00:00:00 GMT"), `${name} older date`).toBe(200);
      }
    });

    test("every precondition combination", async () => {
      const validators = async (prefix: "/ref" | "/app") => {
        const reply = await get(prefix, "/hello.txt");
        return {
          etag: String(reply.headers.etag),
          lastModified: String(reply.headers["last-modified"]),
        };
      };
      const v = { ref: await validators("/ref"), app: await validators("/app") };
      const EARLIER = "Mon, 01 Jan 2024 00:00:00 GMT";
      type Pick = (x: { etag: string; lastModified: string }) => string | undefined;
      const ifMatch: Array<[string, Pick]> = [
        ["-", () => undefined],
        ["*", () => "*"],
        ["match", (x) => x.etag],
        ["weak", (x) => `W/${x.etag}`],
        ["other", () => '"other"'],
      ];
      const ius: Array<[string, Pick]> = [
        ["-", () => undefined],
        ["same", (x) => x.lastModified],
        ["earlier", () => EARLIER],
      ];
      const inm: Array<[string, Pick]> = [
        ["-", () => undefined],
        ["*", () => "*"],
        ["match", (x) => x.etag],
        ["other", () => '"other"'],
      ];
      const ims: Array<[string, Pick]> = [
        ["-", () => undefined],
        ["same", (x) => x.lastModified],
        ["earlier", () => EARLIER],
      ];
      const differences: string[] = [];
      for (const [a, fa] of ifMatch)
        for (const [b, fb] of ius)
          for (const [c, fc] of inm)
            for (const [d, fd] of ims) {
              const headersFor = (x: { etag: string; lastModified: string }) => {
                const h: Record<string, string> = {};
                const set = (name: string, value: string | undefined) =>
                  value !== undefined && (h[name] = value);
                set("If-Match", fa(x));
                set("If-Unmodified-Since", fb(x));
                set("If-None-Match", fc(x));
                set("If-Modified-Since", fd(x));
                return h;
              };
              const [ref, app] = await Promise.all([
                get("/ref", "/hello.txt", headersFor(v.ref)),
                get("/app", "/hello.txt", headersFor(v.app)),
              ]);
              const combo = `If-Match:${a} IUS:${b} INM:${c} IMS:${d}`;
              if (ref.status === app.status) {
                if (ref.status === 200) expect(app.body.equals(ref.body), combo).toBe(true);
                continue;
              }
              const why = preconditionDifference(a, b, c, d);
              if (!why) differences.push(`${combo}: nginx ${ref.status}, tsgi ${app.status}`);
            }
      expect(differences).toEqual([]);
    }, 120_000);

    test.each<[string, string | undefined]>([
      ["no Accept-Encoding", undefined],
      ["gzip", "gzip"],
      ["gzip, deflate, br", "gzip, deflate, br"],
      ["gzip;q=0", "gzip;q=0"],
      ["identity", "identity"],
    ])("precompressed: %s", async (_, accept) => {
      const headers: Record<string, string> =
        accept === undefined ? {} : { "Accept-Encoding": accept };
      const { ref, app } = await both("/style.css", headers);
      expectSame(ref, app, String(accept));
      expect(app.headers["content-encoding"]).toBe(ref.headers["content-encoding"]);
      expect(app.headers.vary).toBe(ref.headers.vary);
    });

    test("precompressed: a gzip variant with Range is sent whole, as nginx does", async () => {
      const { ref, app } = await both("/style.css", {
        "Accept-Encoding": "gzip",
        Range: "bytes=0-9",
      });
      expectSame(ref, app, "gzip + Range");
      expect(app.headers["content-encoding"]).toBe("gzip");
    });

    test("a variant without its original: nginx serves the .gz, tsgi a 404 (the identity representation must exist for every client)", async () => {
      const { ref, app } = await both("/only.txt", { "Accept-Encoding": "gzip" });
      expect([ref.status, app.status]).toEqual([200, 404]);
    });
  },
);

/**
 * Why tsgi may answer a precondition combination differently from nginx, or null when it may
 * not. nginx evaluates If-Unmodified-Since before If-Match and wants If-None-Match and
 * If-Modified-Since to agree; RFC 9110 §13.2.2 orders If-Match first and §13.1.3 makes
 * If-Modified-Since ignored when If-None-Match is present.
 */
function preconditionDifference(
  ifMatch: string,
  ius: string,
  inm: string,
  ims: string,
): string | null {
  const ifMatchHolds = ifMatch === "*" || ifMatch === "match";
  if (ifMatch !== "-" && ifMatchHolds && ius === "earlier") {
    return "RFC 9110 §13.2.2 step 1: a true If-Match skips If-Unmodified-Since";
  }
  if (inm !== "-" && ims !== "-") {
    return "RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present";
  }
  return null;
}
