/**
 * accessLog's `combined` line against nginx's own, for the same requests: one nginx logs every
 * request with its built-in `combined` format, serves `/ref/` itself and passes `/app/` to a
 * tsgi FastCGI responder whose app is wrapped in accessLog. For each raw request (odd bytes in
 * the URI, Referer and User-Agent, quotes, backslashes, control bytes, Basic credentials) the
 * line tsgi writes equals the line nginx wrote for that /app/ request, but for the time; the
 * /ref/ twin checks nginx escapes the same way when it answers by itself.
 *
 * Intended differences (none show in these cases): nginx's $body_bytes_sent counts what it sent
 * to the client, so a response nginx re-frames (chunked, gzip, a body cut by a client) can
 * differ from the bytes the app handed over; nginx logs 499 for a client that left, tsgi the
 * app's status.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { accessLog } from "../../src/middleware/access-log.js";
import { describeIntegration, need, waitFor } from "../helpers/integration.js";
import { NGINX } from "../helpers/nginx.js";
import { type NginxWithApp, nginxWithApp } from "../helpers/nginx-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import type { ServerHandle } from "../helpers/server-process.js";

/** /app/status/NNN answers NNN; /app/size/N sends N bytes; anything else 12 bytes. */
const app: Application = (environ, start) => {
  const path = environ.PATH_INFO;
  const status = /^\/status\/(\d{3})$/.exec(path)?.[1] ?? "200";
  const size = Number(/^\/size\/(\d+)$/.exec(path)?.[1] ?? 12);
  const body = Buffer.alloc(size, "x");
  const headers: Array<[string, string]> = [["Content-Type", "text/plain"]];
  // /app/size/N?unsized: no Content-Length, so nginx frames the body itself.
  if (environ.QUERY_STRING !== "unsized") headers.push(["Content-Length", String(body.length)]);
  start(`${status} Whatever`, headers);
  return [body]; // also for HEAD: nginx drops it, and both log 0
};

const lines: string[] = [];
let site: NginxWithApp;
let nginx: ServerHandle;

beforeAll(async () => {
  const logged = accessLog(app, { write: (line) => lines.push(line) });
  site = await nginxWithApp(
    logged,
    "access_log {{DIR}}/logs/compare.log combined; root {{DIR}}; location /ref/ { }",
  );
  nginx = site.nginx;
});

afterAll(() => site?.stop());

const maskTime = (line: string) => line.replace(/ \[[^\]]+\] /, " [TIME] ");
const basic = (credentials: string) => Buffer.from(credentials, "latin1").toString("base64");

// [name, request target below the prefix, extra header lines (latin-1), method, protocol]
const CASES: Array<[string, string, string, string?, string?]> = [
  ["plain", "/plain", "User-Agent: curl/8.5.0\r\n"],
  ["query and escapes", "/a%20b%22c?x=1&y=%FF", "Referer: http://example.com/?q=1\r\n"],
  ["a quote and a backslash in the target", '/q"uo\\te?a="b"', ""],
  ["raw UTF-8 and 0xFF bytes in the target", "/caf\xc3\xa9/\xff\x80", ""],
  [
    "quotes and backslashes in Referer and User-Agent",
    "/h",
    'Referer: "quoted" \\ back\r\nUser-Agent: a"b\\c\r\n',
  ],
  ["escape sequences in User-Agent", "/h", "User-Agent: \x1b[31mred\x1b[0m\x7f\x01\r\n"],
  [
    "UTF-8 and 0xFF in headers",
    "/h",
    "User-Agent: caf\xc3\xa9 \xff\r\nReferer: http://\xe2\x9c\x93/\r\n",
  ],
  ["an empty Referer", "/h", "Referer: \r\nUser-Agent: \r\n"],
  ["Basic credentials: the user", "/h", `Authorization: Basic ${basic('al"ice\\:pw')}\r\n`],
  ["Basic credentials: a UTF-8 user", "/h", `Authorization: Basic ${basic("jos\xc3\xa9:pw")}\r\n`],
  ["Basic credentials: an empty user", "/h", `Authorization: Basic ${basic(":pw")}\r\n`],
  ["Basic credentials: malformed base64", "/h", "Authorization: Basic !!\r\n"],
  ["Basic credentials: no colon", "/h", `Authorization: Basic ${basic("nobody")}\r\n`],
  ["a 404 from the app", "/status/404", ""],
  ["a larger body", "/size/70000", ""],
  ["an empty body", "/size/0", ""],
  [
    "no Content-Length, HTTP/1.0 (nginx closes to end it)",
    "/size/300?unsized",
    "",
    "GET",
    "HTTP/1.0",
  ],
  ["HEAD", "/size/500", "", "HEAD"],
  ["HTTP/1.0", "/h", "", "GET", "HTTP/1.0"],
  [
    "POST with a body",
    "/post",
    "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    "POST",
  ],
];

describeIntegration("accessLog against nginx's combined log", [need("nginx", NGINX)], () => {
  /** Sends the request to /app and to /ref; the lines tsgi and nginx wrote for them. */
  async function linesFor(target: string, extra: string, method = "GET", protocol = "HTTP/1.1") {
    const logPath = join(nginx.dir, "logs", "compare.log");
    const before = lines.length;
    const nginxBefore = readLog(logPath).length;
    const headers = extra.includes("\r\n\r\n") ? extra : `${extra}\r\n`;
    const send = (prefix: string) =>
      rawRequest(
        nginx.port,
        `${method} ${prefix}${target} ${protocol}\r\nHost: localhost\r\nConnection: close\r\n${headers}`,
      );
    expect((await send("/app")).status).toBeGreaterThan(0);
    await send("/ref");
    await waitFor(
      () => readLog(logPath).length >= nginxBefore + 2 && lines.length > before,
      10_000,
      "log lines",
    );
    const [nginxApp, nginxRef] = readLog(logPath).slice(nginxBefore);
    return {
      tsgi: maskTime(lines[before].replace(/\n$/, "")),
      nginxApp: maskTime(nginxApp),
      nginxRef,
    };
  }

  test.each(CASES)("%s", async (_name, target, extra, method, protocol) => {
    const { tsgi, nginxApp, nginxRef } = await linesFor(target, extra, method, protocol);
    expect(tsgi).toBe(nginxApp);
    // nginx answering /ref/ itself escapes the request, Referer and User-Agent the same way.
    const fields = (line: string) =>
      maskTime(line)
        .replace(/" \d{3} \d+ "/, '" S B "')
        .replace("/ref/", "/app/");
    expect(fields(nginxRef)).toBe(fields(tsgi));
  });

  test("intended difference: nginx counts its own chunked framing, tsgi the body", async () => {
    const { tsgi, nginxApp } = await linesFor("/size/300?unsized", "");
    expect(tsgi).toContain('" 200 300 "');
    // "12c\r\n" + 300 bytes + "\r\n" + "0\r\n\r\n": what nginx wrote on the wire.
    expect(nginxApp).toBe(tsgi.replace('" 200 300 "', '" 200 312 "'));
  });
});

function readLog(path: string): string[] {
  try {
    return readFileSync(path, "latin1").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
