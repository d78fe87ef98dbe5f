import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { APACHE, APACHE_MODULES, startApache } from "../helpers/apache.js";
import { describeIntegration, need } from "../helpers/integration.js";
import type { ServerHandle } from "../helpers/server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BUILT = existsSync(join(ROOT, "dist", "cgi.cjs"));

// The site: tsgi's ready apache/cgi.conf with TSGI_CGI_BIN pointing at this checkout, plus a
// /big/ alias running examples/big.mjs and a /fail/ alias running examples/fail.mjs.
const SITE = `
Define TSGI_CGI_BIN ${join(ROOT, "cgi-bin")}
Include ${join(ROOT, "apache", "cgi.conf")}
ScriptAlias /big ${join(ROOT, "cgi-bin", "app")}
ScriptAlias /fail ${join(ROOT, "cgi-bin", "app")}
<Location "/big">
    SetEnv TSGI_APP ${join(ROOT, "examples", "big.mjs")}
</Location>
<Location "/fail">
    SetEnv TSGI_APP ${join(ROOT, "examples", "fail.mjs")}
</Location>
`;

/** Every byte value, repeated to `size` bytes. */
function allBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  return bytes;
}

function parseEcho(bytes: Buffer) {
  const newline = bytes.indexOf(0x0a);
  return {
    meta: JSON.parse(bytes.subarray(0, newline).toString("utf8")),
    body: bytes.subarray(newline + 1),
  };
}

// mod_cgi forks the script from the (prefork) child; mod_cgid, for threaded MPMs, from a daemon.
const VARIANTS = [
  { module: "cgi", mpm: "prefork" },
  { module: "cgid", mpm: "event" },
] as const;

for (const { module, mpm } of VARIANTS)
  describeIntegration(
    `Apache mod_${module} (${mpm} MPM) runs tsgi's cgi-bin scripts`,
    [
      need("apache2", APACHE),
      need(`mod_${module}`, existsSync(join(APACHE_MODULES, `mod_${module}.so`))),
      need("a build (npm run build)", BUILT),
    ],
    () => {
      let apache: ServerHandle;
      let base: string;

      beforeAll(async () => {
        const socket = module === "cgid" ? "ScriptSock {{DIR}}/run/cgisock\n" : "";
        apache = await startApache(socket + SITE, { modules: [module], mpm });
        base = `http://127.0.0.1:${apache.port}`;
      });
      afterAll(async () => {
        await apache?.stop();
      });

      test("GET /cgi-bin/hello", async () => {
        const response = await fetch(`${base}/cgi-bin/hello`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe("text/plain");
        expect(await response.text()).toBe("Hello, world!\n");
      });

      test("POST 5 MiB holding every byte value: echoed back exactly", async () => {
        const body = allBytes(5 * 1024 * 1024);
        const response = await fetch(`${base}/cgi-bin/echo`, {
          method: "POST",
          body: new Uint8Array(body),
          headers: { "Content-Type": "application/octet-stream" },
        });
        expect(response.status).toBe(200);
        const { meta, body: echoed } = parseEcho(Buffer.from(await response.arrayBuffer()));
        expect(meta.body_length).toBe(body.length);
        expect(meta.content_type).toBe("application/octet-stream");
        expect(echoed.equals(body)).toBe(true);
      });

      // mod_cgid talks to the script over a Unix socket: a script that exits with request bytes
      // unread resets it, and Apache loses the response (AH00574). tsgi discards the rest.
      test.each([
        ["2 bytes", 2],
        ["300 KiB", 300 * 1024],
      ])("a POST body of %s the app never reads: the whole response arrives", async (_, size) => {
        for (let i = 0; i < 5; i++) {
          const response = await fetch(`${base}/cgi-bin/hello`, {
            method: "POST",
            body: new Uint8Array(allBytes(size)),
            headers: { "Content-Type": "application/json" },
          });
          expect(response.status).toBe(200);
          expect(await response.text()).toBe("Hello, world!\n");
        }
      });

      test("query string, a request header and Authorization (CGIPassAuth On) reach the app", async () => {
        const response = await fetch(`${base}/cgi-bin/echo/some/path?a=1&b=%20x`, {
          headers: { "X-Custom-Thing": "yes", Authorization: "Bearer t0ken" },
        });
        const { meta } = parseEcho(Buffer.from(await response.arrayBuffer()));
        expect(meta).toMatchObject({
          method: "GET",
          script_name: "/cgi-bin/echo",
          path_info: "/some/path",
          query: "a=1&b=%20x",
        });
        expect(meta.headers.HTTP_X_CUSTOM_THING).toBe("yes");
        expect(meta.headers.HTTP_AUTHORIZATION).toBe("Bearer t0ken");
      });

      test("byte 0xFF in PATH_INFO (/cgi-bin/echo/%FF) arrives as \\u00ff", async () => {
        const response = await fetch(`${base}/cgi-bin/echo/x%FFy`);
        const { meta } = parseEcho(Buffer.from(await response.arrayBuffer()));
        expect(meta.path_info).toBe("/x\u00ffy");
      });

      test("an app that throws: 500, the stack in Apache's error log", async () => {
        const response = await fetch(`${base}/fail`);
        expect(response.status).toBe(500);
        expect(await response.text()).toBe("Internal Server Error\n");
        await expect.poll(() => apache.errorLog()).toContain("fail.mjs: this app always throws");
      });

      test("a 16 MiB response, checked by SHA-256", async () => {
        const response = await fetch(`${base}/big?16`);
        expect(response.status).toBe(200);
        const bytes = Buffer.from(await response.arrayBuffer());
        expect(bytes.length).toBe(16 * 1024 * 1024);
        const mib = Buffer.alloc(1024 * 1024);
        for (let i = 0; i < mib.length; i++) mib[i] = (i * 31 + 7) & 0xff;
        const expected = createHash("sha256");
        for (let i = 0; i < 16; i++) expected.update(mib);
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(expected.digest("hex"));
      });
    },
  );
