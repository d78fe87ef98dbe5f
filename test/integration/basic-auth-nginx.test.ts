/**
 * basicAuth against nginx's auth_basic with the same htpasswd file: `/ref/` is a file nginx
 * guards itself, `/app/` a tsgi FastCGI app wrapped in basicAuth({ htpasswd }) behind the same
 * nginx (no auth_basic there). The file holds entries written by htpasswd: bcrypt ($2y$),
 * apr1, {SHA}, SHA-256/512-crypt, and a UTF-8 user name. The same credentials (right, wrong,
 * malformed, UTF-8) get the same status from both.
 *
 * Intended differences: tsgi's challenge carries `charset="UTF-8"` (RFC 7617 §2.1), nginx's
 * not; a password holding a NUL byte is cut there by nginx (crypt(3) takes a C string, so
 * `secret\0anything` passes as `secret`), tsgi compares every byte and refuses it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { basicAuth } from "../../src/middleware/basic-auth.js";
import { describeIntegration, findBinary, need, tempDir } from "../helpers/integration.js";
import { NGINX } from "../helpers/nginx.js";
import { type NginxWithApp, nginxWithApp } from "../helpers/nginx-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import type { ServerHandle } from "../helpers/server-process.js";

const HTPASSWD = findBinary("htpasswd");

// [user, password, htpasswd flags]
const USERS: Array<[string, string, string[]]> = [
  ["bcrypt", "b-secret", ["-B", "-C", "5"]],
  ["apr1", "a-secret", ["-m"]],
  ["sha1", "s-secret", ["-s"]],
  ["sha256", "s2-secret", ["-2"]],
  ["sha512", "s5-secret", ["-5"]],
  ["josé", "pässwörd ✓", ["-B", "-C", "4"]],
  ["colon", "a:b:c", ["-m"]],
  ["u12", "pass1234", ["-m"]], // "u12:pass1234" is 12 bytes: 16 base64 chars, no padding
];

const app: Application = (environ, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [Buffer.from(`hello ${environ.REMOTE_USER}\n`, "latin1")];
};

let site: NginxWithApp;
let nginx: ServerHandle;
const dir = tempDir("tsgi-basic-auth-");

beforeAll(async () => {
  if (!HTPASSWD || !NGINX) return;
  const file = join(dir.path, "htpasswd");
  const lines = USERS.map(([user, password, flags]) =>
    execFileSync(HTPASSWD, ["-nb", ...flags, user, password])
      .toString("latin1")
      .trim(),
  );
  writeFileSync(file, `${lines.join("\n")}\n`, "latin1");
  mkdirSync(join(dir.path, "ref"));
  writeFileSync(join(dir.path, "ref", "ok.txt"), "ok\n");
  site = await nginxWithApp(
    basicAuth(app, { realm: "tsgi", htpasswd: file }),
    `root ${dir.path}; location /ref/ { auth_basic "nginx"; auth_basic_user_file ${file}; }`,
  );
  nginx = site.nginx;
});

afterAll(async () => {
  await site?.stop();
  dir.remove();
});

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

const CASES: Array<[string, string | null]> = [
  ...USERS.map(([user, password]): [string, string] => [
    `${user}: right`,
    `Basic ${b64(`${user}:${password}`)}`,
  ]),
  ...USERS.map(([user, password]): [string, string] => [
    `${user}: wrong`,
    `Basic ${b64(`${user}:${password}x`)}`,
  ]),
  ["bcrypt: empty password", `Basic ${b64("bcrypt:")}`],
  [
    "UTF-8 user sent as latin-1",
    `Basic ${Buffer.from("jos\xe9:pässwörd ✓", "latin1").toString("base64")}`,
  ],
  ["unknown user", `Basic ${b64("mallory:b-secret")}`],
  ["another user's password", `Basic ${b64("apr1:b-secret")}`],
  ["no header", null],
  ["Bearer", "Bearer abc"],
  ["lower-case scheme", `basic ${b64("apr1:a-secret")}`],
  ["two spaces", `Basic  ${b64("apr1:a-secret")}`],
  ["no padding", `Basic ${b64("sha1:s-secret").replace(/=+$/, "")}`],
  ["malformed base64", "Basic !!!!"],
  ["4n+1 base64 chars", `Basic ${b64("u12:pass1234")}A`], // right credentials, then one char
  ["no colon", `Basic ${b64("apr1")}`],
  ["empty credentials", "Basic "],
  ["empty user", `Basic ${b64(":a-secret")}`],
];

describeIntegration(
  "basicAuth against nginx auth_basic",
  [need("nginx", NGINX), need("htpasswd (apache2-utils)", HTPASSWD)],
  () => {
    test.each(CASES)("%s", async (_name, authorization) => {
      const header = authorization === null ? "" : `Authorization: ${authorization}\r\n`;
      const get = (path: string) =>
        rawRequest(
          nginx.port,
          `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${header}\r\n`,
        );
      const ref = await get("/ref/ok.txt");
      const tsgi = await get("/app/ok.txt");
      expect(tsgi.status).toBe(ref.status);
      expect([200, 401]).toContain(tsgi.status);
      if (tsgi.status === 401) {
        expect(tsgi.bytes.toString("latin1")).toContain(
          'WWW-Authenticate: Basic realm="tsgi", charset="UTF-8"\r\n',
        );
      }
    });

    test("intended difference: a NUL in the password ends it for nginx (C strings), tsgi refuses it", async () => {
      const header = `Authorization: Basic ${b64("apr1:a-secret\0whatever")}\r\n`;
      const get = (path: string) =>
        rawRequest(
          nginx.port,
          `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${header}\r\n`,
        );
      expect((await get("/ref/ok.txt")).status).toBe(200);
      expect((await get("/app/ok.txt")).status).toBe(401);
    });

    test("the right credentials reach the app as REMOTE_USER, UTF-8 bytes and all", async () => {
      const reply = await rawRequest(
        nginx.port,
        `GET /app/x HTTP/1.0\r\nAuthorization: Basic ${b64("josé:pässwörd ✓")}\r\n\r\n`,
      );
      expect(reply.bytes.toString("utf8")).toMatch(/\r\n\r\nhello josé\n$/);
    });
  },
);
