import { describe, expect, test } from "vitest";
import type { Application, Headers } from "../../src/core/types.js";
import { conditional } from "../../src/middleware/conditional.js";
import { inject } from "../../src/testing/inject.js";

const CONTENT = Buffer.from("0123456789abcdefghij"); // 20 bytes
const LM = "Tue, 02 Jan 2024 03:04:05 GMT";

/** An app streaming CONTENT in 3-byte chunks with the given headers; records close(). */
function app(headers: Headers, state = { closed: 0, read: 0 }): Application {
  return (_, start) => {
    start("200 OK", [["Content-Type", "text/plain"], ...headers]);
    return Object.assign(
      (function* () {
        for (let i = 0; i < CONTENT.length; i += 3) {
          state.read++;
          yield CONTENT.subarray(i, i + 3);
        }
      })(),
      { close: () => void state.closed++ },
    );
  };
}

const validators: Headers = [
  ["ETag", '"v1"'],
  ["Last-Modified", LM],
  ["Content-Length", "20"],
  ["Cache-Control", "max-age=60"],
];

describe("conditional(app)", () => {
  test.each<[string, Record<string, string>, number, string]>([
    ["no conditions", {}, 200, CONTENT.toString()],
    ["If-None-Match match", { "If-None-Match": '"v1"' }, 304, ""],
    ["If-None-Match weak match", { "If-None-Match": 'W/"v1"' }, 304, ""],
    ["If-None-Match other", { "If-None-Match": '"v2"' }, 200, CONTENT.toString()],
    ["If-Modified-Since same", { "If-Modified-Since": LM }, 304, ""],
    ["If-Match other", { "If-Match": '"v2"' }, 412, "412 Precondition Failed\n"],
    [
      "If-Unmodified-Since earlier",
      { "If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT" },
      412,
      "412 Precondition Failed\n",
    ],
    ["Range single", { Range: "bytes=4-9" }, 206, "456789"],
    ["Range suffix", { Range: "bytes=-3" }, 206, "hij"],
    ["Range across chunks", { Range: "bytes=2-13" }, 206, "23456789abcd"],
    ["Range invalid", { Range: "bytes=x" }, 200, CONTENT.toString()],
    ["Range unsatisfiable", { Range: "bytes=50-" }, 416, "416 Range Not Satisfiable\n"],
    ["If-Range stale", { Range: "bytes=0-1", "If-Range": '"v0"' }, 200, CONTENT.toString()],
    ["If-Range fresh", { Range: "bytes=0-1", "If-Range": '"v1"' }, 206, "01"],
  ])("%s -> %i", async (_, headers, status, body) => {
    const state = { closed: 0, read: 0 };
    const res = await inject(conditional(app(validators, state)), { headers });
    expect(res.statusCode).toBe(status);
    expect(Buffer.from(res.body).toString()).toBe(body);
    expect(state.closed).toBe(1);
    if (status === 304 || status === 412) expect(state.read).toBe(0);
  });

  test("304 keeps ETag and Cache-Control, drops Content-Type and Content-Length", async () => {
    const res = await inject(conditional(app(validators)), {
      headers: { "If-None-Match": '"v1"' },
    });
    expect(res.headers).toEqual([
      ["ETag", '"v1"'],
      ["Cache-Control", "max-age=60"],
    ]);
  });

  test("Range stops reading the app's body after the last range", async () => {
    const state = { closed: 0, read: 0 };
    await inject(conditional(app(validators, state)), { headers: { Range: "bytes=0-1" } });
    expect(state.read).toBe(1);
  });

  test("several ranges: multipart/byteranges from a stream", async () => {
    const res = await inject(conditional(app(validators)), {
      headers: { Range: "bytes=0-1,10-12" },
    });
    expect(res.statusCode).toBe(206);
    const text = Buffer.from(res.body).toString();
    expect(res.header("content-length")).toBe(String(res.body.length));
    expect(text).toContain("Content-Range: bytes 0-1/20\r\n\r\n01\r\n");
    expect(text).toContain("Content-Range: bytes 10-12/20\r\n\r\nabc\r\n");
    expect(text).toMatch(/--\r\n$/);
  });

  test("without Content-Length no Range; without validators nothing changes", async () => {
    const noLength = validators.filter(([n]) => n !== "Content-Length");
    expect(
      (await inject(conditional(app(noLength)), { headers: { Range: "bytes=0-1" } })).statusCode,
    ).toBe(200);
    const plain = await inject(conditional(app([])), { headers: { "If-None-Match": "*" } });
    expect(plain.statusCode).toBe(200);
  });

  test("a Content-Encoding body gets no Range", async () => {
    const encoded: Headers = [...validators, ["Content-Encoding", "gzip"]];
    expect(
      (await inject(conditional(app(encoded)), { headers: { Range: "bytes=0-1" } })).statusCode,
    ).toBe(200);
  });

  test("POST, non-200 responses and lazy starts pass through", async () => {
    const post = await inject(conditional(app(validators)), {
      method: "POST",
      headers: { "If-None-Match": '"v1"' },
    });
    expect(post.statusCode).toBe(200);
    const notFound: Application = (_, start) => {
      start("404 Not Found", [["ETag", '"v1"']]);
      return [Buffer.from("nope")];
    };
    expect(
      (await inject(conditional(notFound), { headers: { "If-None-Match": '"v1"' } })).statusCode,
    ).toBe(404);
    const lazy: Application = (_, start) =>
      (function* () {
        start("200 OK", [["ETag", '"v1"']]);
        yield Buffer.from("lazy");
      })();
    const res = await inject(conditional(lazy), { headers: { "If-None-Match": '"v1"' } });
    expect(res.statusCode).toBe(200);
    expect(res.text()).toBe("lazy");
  });

  test("an app that writes with write() passes through", async () => {
    const writer: Application = async (_, start) => {
      const write = start("200 OK", [["ETag", '"v1"']]);
      await write(Buffer.from("written "));
      return [Buffer.from("then body")];
    };
    const res = await inject(conditional(writer), { headers: { "If-None-Match": '"v1"' } });
    expect(res.statusCode).toBe(200);
    expect(res.text()).toBe("written then body");
  });
});
