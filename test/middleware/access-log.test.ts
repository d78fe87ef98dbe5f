import { describe, expect, test } from "vitest";
import type { Application, Environ } from "../../src/core/types.js";
import { accessLog } from "../../src/middleware/access-log.js";
import { inject } from "../../src/testing/inject.js";

const hello: Application = (_environ, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [Buffer.from("hello")];
};

function logged(app: Application, format?: string) {
  const lines: string[] = [];
  const wrapped = accessLog(app, { format, write: (line) => lines.push(line) });
  return { wrapped, lines };
}

const LINE = /^127\.0\.0\.1 - (\S+) \[[^\]]+\] "(.*)" (\d{3}) (\d+) "(.*)" "(.*)"\n$/;

describe("accessLog", () => {
  test("combined by default, after close(), to tsgi.errors", async () => {
    let closed = false;
    const app: Application = (env, start) => {
      const body = hello(env, start) as Uint8Array[];
      return Object.assign(body, { close: () => void (closed = true) });
    };
    const res = await inject(accessLog(app), {
      url: "/p%20q?x=1",
      headers: { Referer: "http://ref/", "User-Agent": "ua/1" },
    });
    expect(closed).toBe(true);
    const match = LINE.exec(res.errors);
    expect(match?.slice(1)).toEqual([
      "-",
      "GET /p%20q?x=1 HTTP/1.1",
      "200",
      "5",
      "http://ref/",
      "ua/1",
    ]);
  });

  test.each<[string, Application, string, string]>([
    [
      "an empty body",
      (_e, s) => {
        s("204 No Content", []);
        return [];
      },
      "204",
      "0",
    ],
    [
      "write() and chunks add up",
      async (_e, s) => {
        const write = s("200 OK", []);
        await write(Buffer.from("abc"));
        return [Buffer.from("de"), new Uint8Array(0)];
      },
      "200",
      "5",
    ],
    [
      "bytes past Content-Length are not counted (the core drops them)",
      (_e, s) => {
        s("200 OK", [["Content-Length", "3"]]);
        return [Buffer.from("abcdef")];
      },
      "200",
      "3",
    ],
    [
      "an error before the headers is the core's 500",
      () => {
        throw new Error("boom");
      },
      "500",
      "0",
    ],
    [
      "a body failing before its first chunk is a 500",
      (_e, s) => {
        s("200 OK", []);
        return (async function* () {
          yield* [];
          throw new Error("boom");
        })();
      },
      "500",
      "0",
    ],
    [
      "a response broken after its headers logs what went out",
      (_e, s) => {
        s("200 OK", []);
        return (async function* () {
          yield Buffer.from("1234");
          throw new Error("boom");
        })();
      },
      "200",
      "4",
    ],
  ])("%s", async (_name, app, status, bytes) => {
    const { wrapped, lines } = logged(app);
    await inject(wrapped);
    expect(lines).toHaveLength(1);
    const match = LINE.exec(lines[0]);
    expect([match?.[3], match?.[4]]).toEqual([status, bytes]);
  });

  test.each([
    ["HEAD", "200 OK"],
    ["GET", "204 No Content"],
    ["GET", "304 Not Modified"],
  ])("%s answered %s: no body on the wire, 0 bytes", async (method, status) => {
    const app: Application = (_e, s) => {
      s(status, []);
      return [Buffer.from("offered anyway")];
    };
    const { wrapped, lines } = logged(app, "$status $body_bytes_sent");
    await inject(wrapped, { method });
    expect(lines).toEqual([`${status.slice(0, 3)} 0\n`]);
  });

  test("a client that leaves mid-body: only the accepted chunks count", async () => {
    const controller = new AbortController();
    const app: Application = (_e, s) => {
      s("200 OK", []);
      return (async function* () {
        yield Buffer.from("12345");
        controller.abort();
        yield Buffer.from("678");
        yield Buffer.from("9");
      })();
    };
    const { wrapped, lines } = logged(app, "$status $body_bytes_sent");
    const res = await inject(wrapped, { signal: controller.signal });
    const sent = res.body.length;
    expect(lines).toEqual([`200 ${sent}\n`]);
  });

  test("log injection through the request is escaped", async () => {
    const { wrapped, lines } = logged(hello);
    await inject(wrapped, {
      url: "/x",
      headers: { "User-Agent": 'a"b\\c\x1b[1m\u00ff', Authorization: `Basic ${btoa('ev"l:pw')}` },
    });
    expect(lines[0]).toMatch(/^127\.0\.0\.1 - ev\\x22l \[/);
    expect(lines[0]).toContain('"a\\x22b\\x5Cc\\x1B[1m\\xFF"\n');
  });

  test("REMOTE_USER wins over the Authorization header; no REQUEST_URI rebuilds it", async () => {
    const { wrapped, lines } = logged(hello, "$remote_user $request");
    await inject(wrapped, {
      url: "/ignored",
      environ: {
        REMOTE_USER: "alice",
        REQUEST_URI: undefined,
        SCRIPT_NAME: "/app",
        PATH_INFO: "/a b\u00ff",
        QUERY_STRING: "q=1",
      },
    });
    expect(lines).toEqual(["alice GET /app/a%20b%FF?q=1 HTTP/1.1\n"]);
  });

  test("a throwing writer never breaks the response", async () => {
    const app = accessLog(hello, {
      write: () => {
        throw new Error("disk full");
      },
    });
    const res = await inject(app);
    expect(res.text()).toBe("hello");
    expect(res.errors).toContain("accessLog: write failed: Error: disk full");
  });

  test("an unknown variable fails when the middleware is made", () => {
    expect(() => accessLog(hello, { format: "$nope" })).toThrow(/unknown variable \$nope/);
  });

  test("json format", async () => {
    const { wrapped, lines } = logged(hello, "json");
    await inject(wrapped, { url: "/j" });
    expect(JSON.parse(lines[0])).toMatchObject({ uri: "/j", status: 200, bytes_sent: 5 });
  });

  test("the environ the app changed is what the line reads (REMOTE_USER set inside)", async () => {
    const app: Application = (environ: Environ, start) => {
      environ.REMOTE_USER = "set-inside";
      return hello(environ, start);
    };
    const { wrapped, lines } = logged(app, "$remote_user");
    await inject(wrapped);
    expect(lines).toEqual(["set-inside\n"]);
  });
});
