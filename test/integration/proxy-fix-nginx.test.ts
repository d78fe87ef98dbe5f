/**
 * `X_Forwarded_For` behind nginx: RFC 3875 §4.1.18 would make it HTTP_X_FORWARDED_FOR like the
 * real header, but nginx (underscores_in_headers off, the default) drops the name before it
 * becomes a FastCGI parameter, so a client cannot smuggle a second value past a proxy that
 * appends to X-Forwarded-For. Here the client is on 127.0.0.1, trusted as the proxy in front.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { proxyFix } from "../../src/middleware/proxy-fix.js";
import { describeIntegration, need } from "../helpers/integration.js";
import { NGINX } from "../helpers/nginx.js";
import { type NginxWithApp, nginxWithApp } from "../helpers/nginx-app.js";
import { rawRequest } from "../helpers/raw-http.js";

const seen: Application = (environ, start) => {
  const { REMOTE_ADDR, HTTP_X_FORWARDED_FOR } = environ;
  const body = Buffer.from(
    JSON.stringify({ REMOTE_ADDR, HTTP_X_FORWARDED_FOR: HTTP_X_FORWARDED_FOR ?? null }),
  );
  start("200 OK", [
    ["Content-Type", "application/json"],
    ["Content-Length", String(body.length)],
  ]);
  return [body];
};

let site: NginxWithApp;
beforeAll(async () => {
  site = await nginxWithApp(proxyFix(seen, { trusted: ["127.0.0.1"] }), "");
});
afterAll(() => site?.stop());

async function environFor(headers: string): Promise<unknown> {
  const reply = await rawRequest(
    site.nginx.port,
    `GET /app/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`,
  );
  const text = reply.bytes.toString("latin1");
  return JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
}

describeIntegration("proxyFix behind nginx: X_Forwarded_For", [need("nginx", NGINX)], () => {
  test.each([
    ["X-Forwarded-For only", "X-Forwarded-For: 203.0.113.9\r\n", "203.0.113.9", "203.0.113.9"],
    [
      "X_Forwarded_For after the real one: dropped by nginx",
      "X-Forwarded-For: 203.0.113.9\r\nX_Forwarded_For: 6.6.6.6\r\n",
      "203.0.113.9",
      "203.0.113.9",
    ],
    ["X_Forwarded_For alone: dropped by nginx", "X_Forwarded_For: 6.6.6.6\r\n", "127.0.0.1", null],
  ])("%s", async (_name, headers, remoteAddr, forwarded) => {
    expect(await environFor(headers)).toEqual({
      REMOTE_ADDR: remoteAddr,
      HTTP_X_FORWARDED_FOR: forwarded,
    });
  });
});
