import { describe, expect, test, vi } from "vitest";
import type { Application, Body } from "../../src/core/types.js";
import { catchErrors } from "../../src/middleware/catch-errors.js";
import { RecordType } from "../../src/protocol/fastcgi.js";
import { inject } from "../../src/testing/inject.js";
import { start } from "../frontends/fastcgi/setup.js";
import { cgiParams } from "../helpers/fastcgi-client.js";

const boom = () => new Error("secret <b>detail</b>");

/** Ways an app fails before anything was sent. */
const BEFORE: Array<[string, Application]> = [
  [
    "throws when called",
    () => {
      throw boom();
    },
  ],
  [
    "rejects (async) after start_response",
    async (_e, start) => {
      start("200 OK", [["X-Lost", "1"]]);
      throw boom();
    },
  ],
  [
    "its body throws before the first chunk",
    (_e, start) => {
      start("200 OK", [["X-Lost", "1"]]);
      return (async function* () {
        yield new Uint8Array(0);
        throw boom();
      })();
    },
  ],
  [
    "its sync body throws",
    (_e, start) => {
      start("200 OK", []);
      return {
        [Symbol.iterator]: () => ({
          next: () => {
            throw boom();
          },
        }),
      } as Body;
    },
  ],
  [
    "it sends a header the core refuses",
    (_e, start) => {
      start("200 OK", [["Bad\nName", "x"]]);
      return [Buffer.from("never")];
    },
  ],
];

describe("catchErrors before the headers", () => {
  test.each(BEFORE)("app %s: a production 500 page shows nothing", async (_name, app) => {
    const res = await inject(catchErrors(app));
    expect(res.status).toBe("500 Internal Server Error");
    expect(res.header("Content-Type")).toBe("text/html; charset=utf-8");
    expect(res.header("Cache-Control")).toBe("no-store");
    expect(res.header("X-Lost")).toBeUndefined();
    expect(res.header("Content-Length")).toBe(String(res.body.length));
    expect(res.text()).toContain("<h1>500 Internal Server Error</h1>");
    expect(res.text()).not.toMatch(/secret|detail|Stack|Environ|at /);
    expect(res.outcome.kind).toBe("ok");
    expect(res.errors).toMatch(/catchErrors: 500 for GET \/: /);
  });

  test.each([
    ["application/json", "json"],
    ["text/html, application/json", "html"],
    ["application/json;q=0.9, text/html;q=0.8", "json"],
    ["text/*;q=0.5, application/*", "json"],
    ["*/*", "html"],
    ["image/png", "html"],
  ])("Accept: %s -> %s", async (accept, type) => {
    const res = await inject(catchErrors(BEFORE[0][1]), { headers: { Accept: accept } });
    expect(
      res.header("Content-Type")?.startsWith(type === "json" ? "application/json" : "text/html"),
    ).toBe(true);
    if (type === "json") {
      expect(res.json()).toEqual({ error: { status: 500, message: "Internal Server Error" } });
    }
  });

  test("HEAD: the page's headers without its body", async () => {
    const res = await inject(catchErrors(BEFORE[0][1]), { method: "HEAD" });
    expect(res.statusCode).toBe(500);
    expect(Number(res.header("Content-Length"))).toBeGreaterThan(0);
    expect(res.body.length).toBe(0);
  });

  test("debug: the escaped stack and the environ with credentials redacted", async () => {
    const res = await inject(catchErrors(BEFORE[0][1], { debug: true }), {
      url: "/p?<script>",
      headers: { Cookie: "sid=s3cr3t", Authorization: "Basic dXNlcjpwdw==", "X-Note": "<i>" },
    });
    const html = res.text();
    expect(html).toContain("Error: secret &lt;b&gt;detail&lt;/b&gt;");
    expect(html).toContain("catch-errors.test.ts");
    expect(html).toContain("<th>HTTP_COOKIE</th><td>[redacted]</td>");
    expect(html).toContain("<th>HTTP_AUTHORIZATION</th><td>[redacted]</td>");
    expect(html).toContain("<th>HTTP_X_NOTE</th><td>&lt;i&gt;</td>");
    expect(html).toContain("<th>QUERY_STRING</th><td>&lt;script&gt;</td>");
    expect(html).not.toMatch(/s3cr3t|dXNlcjpwdw|<script>|<b>|<i>/);
  });

  test("debug JSON carries the stack and the redacted environ", async () => {
    const res = await inject(catchErrors(BEFORE[0][1], { debug: true }), {
      headers: { Accept: "application/json", Cookie: "sid=x" },
    });
    const { error } = res.json() as {
      error: { stack: string; environ: Record<string, string> };
    };
    expect(error.stack).toMatch(/^Error: secret <b>detail<\/b>\n\s+at /);
    expect(error.environ.HTTP_COOKIE).toBe("[redacted]");
    expect(error.environ["tsgi.input"]).toBe("[object]");
  });

  test("onError is called once; its throw or rejection is logged, never raised", async () => {
    const seen: unknown[] = [];
    for (const onError of [
      (e: unknown) => {
        seen.push(e);
        throw new Error("reporter down");
      },
      async (e: unknown) => {
        seen.push(e);
        throw new Error("reporter down");
      },
    ]) {
      const res = await inject(catchErrors(BEFORE[2][1], { onError }));
      await new Promise((r) => setImmediate(r));
      expect(res.statusCode).toBe(500);
    }
    expect(seen).toHaveLength(2);
    expect((seen[0] as Error).message).toBe("secret <b>detail</b>");
  });

  test("render replaces the page; a throwing render falls back to the default", async () => {
    const custom = catchErrors(BEFORE[0][1], {
      render: ({ type }) => ({
        status: "503 Service Unavailable",
        headers: [],
        body: `oops ${type}`,
      }),
    });
    const res = await inject(custom);
    expect([res.status, res.text(), res.header("Content-Length")]).toEqual([
      "503 Service Unavailable",
      "oops html",
      "9",
    ]);
    const failing = catchErrors(BEFORE[0][1], {
      render: () => {
        throw new Error("render bug");
      },
    });
    const fallback = await inject(failing);
    expect(fallback.statusCode).toBe(500);
    expect(fallback.errors).toContain("render failed: Error: render bug");
  });

  test("a working app passes through untouched, close() called once", async () => {
    const close = vi.fn();
    const app: Application = (_e, start) => {
      start("201 Created", [["X-A", "1"]]);
      return Object.assign([Buffer.from("ok")], { close });
    };
    const res = await inject(catchErrors(app));
    expect([res.status, res.header("X-A"), res.text()]).toEqual(["201 Created", "1", "ok"]);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

/** Sends a chunk, then fails: after the headers. */
const failsMidBody: Application = (_e, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return (async function* () {
    yield Buffer.from("first part;");
    throw boom();
  })();
};

const failsAfterWrite: Application = async (_e, start) => {
  const write = start("200 OK", [["Content-Type", "text/plain"]]);
  await write(Buffer.from("first part;"));
  throw boom();
};

describe("catchErrors after the headers", () => {
  test.each([
    ["a body that fails mid-way", failsMidBody],
    ["an app that fails after write()", failsAfterWrite],
  ])("%s: the response breaks, no page appended, onError once", async (_name, app) => {
    const onError = vi.fn();
    const res = await inject(catchErrors(app, { debug: true, onError }));
    expect(res.outcome.kind).toBe("broken");
    expect(res.status).toBe("200 OK");
    expect(res.text()).toBe("first part;");
    expect(onError).toHaveBeenCalledTimes(1);
  });

  test("through FastCGI: the connection closes without END_REQUEST", async () => {
    const { client } = await start(catchErrors(failsMidBody, { debug: true }));
    const c = await client();
    await expect(c.request(1, cgiParams("/"))).rejects.toThrow(/closed before END_REQUEST/);
    expect(c.records.some((r) => r.type === RecordType.END_REQUEST)).toBe(false);
    const stdout = Buffer.concat(
      c.records.filter((r) => r.type === RecordType.STDOUT).map((r) => r.content),
    ).toString();
    expect(stdout).toContain("first part;");
    expect(stdout).not.toContain("Internal Server Error");
  });

  test("through FastCGI before the headers: a complete 500 with END_REQUEST", async () => {
    const { client } = await start(catchErrors(BEFORE[1][1]));
    const c = await client();
    const res = await c.request(1, cgiParams("/", { HTTP_ACCEPT: "application/json" }));
    expect(res.status).toBe("500 Internal Server Error");
    expect(JSON.parse(res.body.toString())).toEqual({
      error: { status: 500, message: "Internal Server Error" },
    });
  });
});
