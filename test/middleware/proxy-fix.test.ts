import { describe, expect, test } from "vitest";
import type { Application, Environ } from "../../src/core/types.js";
import { type ProxyFixOptions, proxyFix } from "../../src/middleware/proxy-fix.js";
import { inject } from "../../src/testing/inject.js";

/** Answers with what the app saw of the environ. */
const seen: Application = (environ, start) => {
  start("200 OK", [["Content-Type", "application/json"]]);
  const keys = [
    "REMOTE_ADDR",
    "tsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = environ[key];
  out.orig = environ["tsgi.proxy_fix.orig"] ?? null;
  return [Buffer.from(JSON.stringify(out))];
};

async function through(
  options: ProxyFixOptions,
  headers: Record<string, string>,
  environ: Record<string, unknown> = {},
) {
  const res = await inject(proxyFix(seen, options), {
    headers: { Host: "backend:8000", ...headers },
    environ: { REMOTE_ADDR: "10.0.0.2", SERVER_NAME: "backend", SERVER_PORT: "8000", ...environ },
  });
  return res.json() as Record<string, unknown>;
}

const PROXY = { trusted: ["10.0.0.0/24"] };

describe("proxyFix: who is trusted", () => {
  test.each([
    ["10.0.0.2", ["10.0.0.0/24"], true],
    ["10.0.1.2", ["10.0.0.0/24"], false],
    ["::ffff:10.0.0.2", ["10.0.0.0/24"], true],
    ["2001:db8::5", ["2001:db8::/64"], true],
    ["2001:db8:0:1::5", ["2001:db8::/64"], false],
    ["127.0.0.1", undefined, true], // default: loopback only
    ["::1", undefined, true],
    ["192.0.2.1", undefined, false],
    ["", ["10.0.0.0/8"], false],
  ])("REMOTE_ADDR %s, trusted %j -> applied %s", async (peer, trusted, applied) => {
    const out = await through(
      { trusted },
      { "X-Forwarded-For": "198.51.100.7" },
      { REMOTE_ADDR: peer },
    );
    expect(out.REMOTE_ADDR).toBe(applied ? "198.51.100.7" : peer);
    expect(out.orig === null).toBe(!applied);
  });
});

describe("proxyFix: hop counts (Werkzeug ProxyFix)", () => {
  test.each<[string, ProxyFixOptions, Record<string, string>, Record<string, unknown>]>([
    [
      "x_for=1 takes the last",
      {},
      { "X-Forwarded-For": "1.1.1.1, 2.2.2.2" },
      { REMOTE_ADDR: "2.2.2.2" },
    ],
    [
      "x_for=2 takes the second from the right",
      { for: 2 },
      { "X-Forwarded-For": "1.1.1.1, 2.2.2.2, 3.3.3.3" },
      { REMOTE_ADDR: "2.2.2.2" },
    ],
    [
      "fewer values than hops: ignored",
      { for: 3 },
      { "X-Forwarded-For": "1.1.1.1, 2.2.2.2" },
      { REMOTE_ADDR: "10.0.0.2" },
    ],
    [
      "for=0 ignores the header",
      { for: 0 },
      { "X-Forwarded-For": "1.1.1.1" },
      { REMOTE_ADDR: "10.0.0.2" },
    ],
    ["an IPv6 client", {}, { "X-Forwarded-For": "2001:db8::9" }, { REMOTE_ADDR: "2001:db8::9" }],
    [
      "a bracketed IPv6 client",
      {},
      { "X-Forwarded-For": "[2001:db8::9]" },
      { REMOTE_ADDR: "2001:db8::9" },
    ],
    ["not an address: ignored", {}, { "X-Forwarded-For": "unknown" }, { REMOTE_ADDR: "10.0.0.2" }],
    [
      "injection attempt: ignored",
      {},
      { "X-Forwarded-For": "1.1.1.1<script>" },
      { REMOTE_ADDR: "10.0.0.2" },
    ],
    ["proto https", {}, { "X-Forwarded-Proto": "https" }, { "tsgi.url_scheme": "https" }],
    ["proto HTTPS is https", {}, { "X-Forwarded-Proto": "HTTPS" }, { "tsgi.url_scheme": "https" }],
    [
      "proto not http(s): ignored",
      {},
      { "X-Forwarded-Proto": "javascript" },
      { "tsgi.url_scheme": "http" },
    ],
    [
      "proto with two hops",
      { proto: 2 },
      { "X-Forwarded-Proto": "https, http" },
      { "tsgi.url_scheme": "https" },
    ],
    [
      "host is off by default",
      {},
      { "X-Forwarded-Host": "example.com" },
      { HTTP_HOST: "backend:8000" },
    ],
    [
      "host=1",
      { host: 1 },
      { "X-Forwarded-Host": "example.com" },
      { HTTP_HOST: "example.com", SERVER_NAME: "example.com", SERVER_PORT: "8000" },
    ],
    [
      "host with a port",
      { host: 1 },
      { "X-Forwarded-Host": "example.com:8443" },
      { HTTP_HOST: "example.com:8443", SERVER_NAME: "example.com", SERVER_PORT: "8443" },
    ],
    [
      "an IPv6 host",
      { host: 1 },
      { "X-Forwarded-Host": "[2001:db8::1]:444" },
      { HTTP_HOST: "[2001:db8::1]:444", SERVER_NAME: "[2001:db8::1]", SERVER_PORT: "444" },
    ],
    [
      "a host that is not a host: ignored",
      { host: 1 },
      { "X-Forwarded-Host": "evil.com/x" },
      { HTTP_HOST: "backend:8000" },
    ],
    [
      "a host with a bad port: ignored",
      { host: 1 },
      { "X-Forwarded-Host": "a.com:99999" },
      { HTTP_HOST: "backend:8000" },
    ],
    [
      "a host with a quote: ignored",
      { host: 1 },
      { "X-Forwarded-Host": 'a.com"><x' },
      { HTTP_HOST: "backend:8000" },
    ],
    [
      "port=1",
      { port: 1 },
      { "X-Forwarded-Port": "443" },
      { HTTP_HOST: "backend:443", SERVER_PORT: "443" },
    ],
    ["a bad port: ignored", { port: 1 }, { "X-Forwarded-Port": "0x1bb" }, { SERVER_PORT: "8000" }],
    [
      "host then port",
      { host: 1, port: 1 },
      { "X-Forwarded-Host": "example.com", "X-Forwarded-Port": "8443" },
      { HTTP_HOST: "example.com:8443", SERVER_NAME: "example.com", SERVER_PORT: "8443" },
    ],
    [
      "prefix moves into SCRIPT_NAME",
      { prefix: 1 },
      { "X-Forwarded-Prefix": "/app/" },
      { SCRIPT_NAME: "/app/mount" },
    ],
    [
      "a prefix is percent-decoded like SCRIPT_NAME",
      { prefix: 1 },
      { "X-Forwarded-Prefix": "/a%20b" },
      { SCRIPT_NAME: "/a b/mount" },
    ],
    [
      "a prefix with ..: ignored",
      { prefix: 1 },
      { "X-Forwarded-Prefix": "/a/../b" },
      { SCRIPT_NAME: "/mount" },
    ],
    [
      "a relative prefix: ignored",
      { prefix: 1 },
      { "X-Forwarded-Prefix": "app" },
      { SCRIPT_NAME: "/mount" },
    ],
    [
      "prefix / adds nothing",
      { prefix: 1 },
      { "X-Forwarded-Prefix": "/" },
      { SCRIPT_NAME: "/mount" },
    ],
  ])("%s", async (_name, options, headers, expected) => {
    const out = await through({ ...PROXY, ...options }, headers, { SCRIPT_NAME: "/mount" });
    expect(out).toMatchObject(expected);
  });

  test("the originals are kept in tsgi.proxy_fix.orig", async () => {
    const out = await through(
      { ...PROXY, host: 1, prefix: 1 },
      {
        "X-Forwarded-For": "1.1.1.1",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "ex.com",
        "X-Forwarded-Prefix": "/p",
      },
    );
    expect(out.orig).toEqual({
      REMOTE_ADDR: "10.0.0.2",
      "tsgi.url_scheme": "http",
      HTTP_HOST: "backend:8000",
      SERVER_NAME: "backend",
      SERVER_PORT: "8000",
      SCRIPT_NAME: "",
    });
    expect(out).toMatchObject({
      REMOTE_ADDR: "1.1.1.1",
      "tsgi.url_scheme": "https",
      SCRIPT_NAME: "/p",
    });
  });

  test("the caller's environ is not changed", async () => {
    let inner: Environ | undefined;
    let outer: Environ | undefined;
    const fixed = proxyFix((environ, start) => {
      inner = environ;
      return seen(environ, start);
    }, PROXY);
    const app: Application = (environ, start) => {
      outer = environ;
      return fixed(environ, start);
    };
    await inject(app, {
      headers: { "X-Forwarded-For": "1.1.1.1" },
      environ: { REMOTE_ADDR: "10.0.0.2" },
    });
    expect(inner?.REMOTE_ADDR).toBe("1.1.1.1");
    expect(outer?.REMOTE_ADDR).toBe("10.0.0.2");
  });

  test("X_Forwarded_For: after RFC 3875 §4.1.18 it is HTTP_X_FORWARDED_FOR, counted as the header", async () => {
    // nginx (underscores_in_headers off) and Apache 2.4 drop such names before they become
    // meta-variables; the environ cannot tell them apart, so the peer must be one that drops them.
    const out = await through(PROXY, {}, { HTTP_X_FORWARDED_FOR: "1.1.1.1" });
    expect(out.REMOTE_ADDR).toBe("1.1.1.1");
  });

  test.each([{ for: -1 }, { host: 1.5 }, { trusted: ["nope"] }])(
    "bad options %j throw",
    (options) => {
      expect(() => proxyFix(seen, options as ProxyFixOptions)).toThrow(/proxyFix|trusted proxy/);
    },
  );
});
