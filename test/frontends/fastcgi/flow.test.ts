import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Application } from "../../../src/core/types.js";
import { RecordType } from "../../../src/protocol/fastcgi.js";
import { cgiParams } from "../../helpers/fastcgi-client.js";
import { sleep, start, text } from "./setup.js";

const MiB = 1024 * 1024;

describe("flow control", () => {
  test("a slow reader stops the server reading STDIN: the upload is not held in memory", async () => {
    let go: () => void = () => {};
    const started = new Promise<void>((r) => (go = r));
    const app: Application = async (environ, startResponse) => {
      await started; // read nothing until the test says so
      const hash = createHash("sha256");
      for await (const chunk of environ["tsgi.input"]) hash.update(chunk);
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(hash.digest("hex"))];
    };
    const { client } = await start(app);
    const c = await client();
    const body = Buffer.alloc(32 * MiB);
    for (let i = 0; i < body.length; i += 4096) body[i] = i & 0xff;
    const response = c.request(
      1,
      cgiParams("/", { REQUEST_METHOD: "POST", CONTENT_LENGTH: String(body.length) }),
      { body },
    );
    await sleep(400);
    // The server paused at ~1 MiB unread; the rest waits in kernel buffers and in the client.
    expect(c.socket.writableLength).toBeGreaterThan(12 * MiB);
    go();
    expect((await response).body.toString()).toBe(createHash("sha256").update(body).digest("hex"));
  });

  test("an app that reuses its buffer for 32 KiB chunks: every chunk arrives as yielded", async () => {
    // 32 KiB chunks: too large to copy, too small to leave on their own before the next one.
    const size = 32 * 1024;
    const fills = Array.from({ length: 48 }, (_, i) => 0x41 + (i % 26));
    const buffer = Buffer.alloc(size);
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "application/octet-stream"]]);
      return (function* () {
        for (const byte of fills) {
          buffer.fill(byte); // allowed: the gateway asked for the next chunk
          yield buffer;
        }
      })();
    };
    const { client } = await start(app);
    const c = await client();
    c.socket.pause(); // the kernel buffers fill, so the server's socket must hold bytes back
    const response = c.request(1, cgiParams("/"));
    await sleep(200);
    c.socket.resume();
    const { body } = await response;
    expect(body.length).toBe(size * fills.length);
    fills.forEach((byte, i) => {
      expect(body.subarray(i * size, (i + 1) * size).every((b) => b === byte)).toBe(true);
    });
  });

  test("backpressure: a client that does not read holds the app back (64 MiB body)", async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const total = 1024; // 64 MiB
    let yielded = 0;
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", [["Content-Length", String(chunk.length * total)]]);
      return (function* () {
        for (; yielded < total; ) {
          yielded++;
          yield chunk;
        }
      })();
    };
    const { client } = await start(app);
    const c = await client();
    c.keepStdout = false;
    c.socket.pause();
    const response = c.request(1, cgiParams("/"));
    await sleep(400);
    const whilePaused = yielded;
    await sleep(200);
    expect(yielded).toBe(whilePaused); // stuck on 'drain', not running ahead
    expect(whilePaused * chunk.length).toBeLessThan(24 * MiB); // socket + kernel buffers only
    c.socket.resume();
    const res = await response;
    expect(res.protocolStatus).toBe(0);
    expect(yielded).toBe(total);
    // body bytes plus the CGI head
    expect(c.stdoutBytes).toBeGreaterThan(chunk.length * total);
    expect(c.records.filter((r) => r.type === RecordType.END_REQUEST)).toHaveLength(1);
  });
});
