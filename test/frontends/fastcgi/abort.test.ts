import { describe, expect, test } from "vitest";
import { ClientGoneError } from "../../../src/core/errors.js";
import type { Application, Environ } from "../../../src/core/types.js";
import { ProtocolStatus, RecordType } from "../../../src/protocol/fastcgi.js";
import { cgiParams } from "../../helpers/fastcgi-client.js";
import { waitFor } from "../../helpers/integration.js";
import { sleep, start, text } from "./setup.js";

/** An app that streams a chunk every 10 ms until aborted, recording what happened. */
function streamingApp() {
  const seen = { yielded: 0, closed: 0, reason: undefined as unknown, signalFired: false };
  const app: Application = (environ, startResponse) => {
    const signal = environ["tsgi.signal"];
    signal.addEventListener("abort", () => {
      seen.signalFired = true;
      seen.reason = signal.reason;
    });
    startResponse("200 OK", [["Content-Type", "text/plain"]]);
    const body = (async function* () {
      for (;;) {
        seen.yielded++;
        yield text(`chunk ${seen.yielded}\n`);
        await sleep(10);
      }
    })();
    return Object.assign(body, { close: () => void seen.closed++ });
  };
  return { app, seen };
}

describe("FastCGI aborts", () => {
  test("ABORT_REQUEST mid-stream: signal fired, close() called, one END_REQUEST, nothing after", async () => {
    const { app, seen } = streamingApp();
    const { client } = await start(app);
    const c = await client();
    const response = c.request(1, cgiParams("/"));
    await c.nextRecord((r) => r.type === RecordType.STDOUT && r.content.length > 0);
    c.abort(1);
    const res = await response;
    expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
    await waitFor(() => seen.closed === 1, 2000, "close()");
    expect(seen.signalFired).toBe(true);
    expect(seen.reason).toBeInstanceOf(ClientGoneError);
    await sleep(80); // the generator would have yielded several more chunks by now
    const endAt = c.records.findIndex((r) => r.type === RecordType.END_REQUEST);
    expect(c.records.slice(endAt + 1)).toEqual([]);
    expect(c.records.filter((r) => r.type === RecordType.END_REQUEST)).toHaveLength(1);
    expect(seen.closed).toBe(1);
  });

  test("a reused id after an abort never receives the old request's bytes", async () => {
    const { app, seen } = streamingApp();
    let calls = 0;
    const routed: Application = (environ, startResponse) => {
      calls++;
      if (environ.PATH_INFO === "/stream") return app(environ, startResponse);
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text("fresh")];
    };
    const { client } = await start(routed);
    const c = await client();
    const first = c.request(1, cgiParams("/stream"));
    await c.nextRecord((r) => r.type === RecordType.STDOUT && r.content.length > 0);
    c.abort(1);
    await first;
    const second = await c.request(1, cgiParams("/fresh"));
    expect(second.body.toString()).toBe("fresh");
    await sleep(60);
    const afterFirstEnd = c.records.slice(
      c.records.findIndex((r) => r.type === RecordType.END_REQUEST) + 1,
    );
    const stdout = Buffer.concat(
      afterFirstEnd.filter((r) => r.type === RecordType.STDOUT).map((r) => r.content),
    );
    expect(stdout.toString()).not.toMatch(/chunk/);
    expect(calls).toBe(2);
    expect(seen.closed).toBe(1);
  });

  test("connection closed mid-stream: close() called, the server serves new connections", async () => {
    const { app, seen } = streamingApp();
    const { client } = await start(app);
    const c = await client();
    c.begin(1);
    c.params(1, cgiParams("/"));
    c.stdin(1, new Uint8Array(0));
    await c.nextRecord((r) => r.type === RecordType.STDOUT && r.content.length > 0);
    c.close();
    await waitFor(() => seen.closed === 1, 2000, "close()");
    expect(seen.reason).toBeInstanceOf(ClientGoneError);
    const d = await client();
    d.begin(2);
    d.params(2, cgiParams("/"));
    d.stdin(2, new Uint8Array(0));
    await d.nextRecord((r) => r.type === RecordType.STDOUT && r.content.length > 0);
    d.abort(2);
    await d.nextRecord((r) => r.type === RecordType.END_REQUEST);
  });

  test("a reader blocked on tsgi.input is rejected when the request is aborted", async () => {
    let failure: unknown;
    const app: Application = async (environ, startResponse) => {
      try {
        await environ["tsgi.input"].read();
      } catch (error) {
        failure = error;
      }
      startResponse("200 OK", []);
      return [];
    };
    const { client } = await start(app);
    const c = await client();
    c.begin(1);
    c.params(1, cgiParams("/", { REQUEST_METHOD: "POST" }));
    c.stdin(1, text("partial"));
    await sleep(30);
    c.abort(1);
    await waitFor(() => failure !== undefined, 2000, "the read to fail");
    expect(failure).toBeInstanceOf(ClientGoneError);
  });

  // tsgi.signal is made lazily, from one getter shared by every environ.
  test.each([
    ["read before the abort", true],
    ["first read after the abort", false],
  ])("tsgi.signal, %s: one object, fired with the abort's reason", async (_name, early) => {
    let environ: Environ | undefined;
    let early1: AbortSignal | undefined;
    let early2: AbortSignal | undefined;
    let stop: () => void = () => {};
    const app: Application = async (env, startResponse) => {
      environ = env;
      if (early) {
        early1 = env["tsgi.signal"];
        early2 = env["tsgi.signal"];
        expect(early1.aborted).toBe(false);
      }
      await new Promise<void>((resolve) => {
        stop = resolve;
      });
      startResponse("200 OK", []);
      return [];
    };
    const { client } = await start(app);
    const c = await client();
    const response = c.request(1, cgiParams("/"));
    await waitFor(() => environ !== undefined, 2000, "the app to start");
    c.abort(1);
    await response;
    const signal = environ!["tsgi.signal"];
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(environ!["tsgi.signal"]).toBe(signal);
    if (early) {
      expect(early1).toBe(signal);
      expect(early2).toBe(signal);
    }
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(ClientGoneError);
    stop();
  });

  test("an error after the headers closes the connection without END_REQUEST", async () => {
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return (async function* () {
        yield text("partial");
        await sleep(5);
        throw new Error("late failure");
      })();
    };
    const { client, logs } = await start(app);
    const c = await client();
    const res = c.request(1, cgiParams("/"));
    await expect(res).rejects.toThrow(/closed before END_REQUEST/);
    expect(c.records.some((r) => r.type === RecordType.END_REQUEST)).toBe(false);
    expect(
      Buffer.concat(
        c.records.filter((r) => r.type === RecordType.STDOUT).map((r) => r.content),
      ).toString(),
    ).toMatch(/partial$/);
    expect(logs.join("\n")).toMatch(/request 1 broke after its headers/);
  });

  test("a break beside multiplexed requests: they are answered, then the connection closes", async () => {
    let open = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const app: Application = (environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      const breaks = environ.PATH_INFO === "/break";
      return (async function* () {
        for (let i = 0; i < 5; i++) {
          yield text(`${environ.PATH_INFO} ${i}\n`);
          if (breaks) throw new Error("late failure");
          if (i === 0) await gate; // the sibling is still running while the test looks
        }
      })();
    };
    const { client, logs } = await start(app);
    const c = await client();
    const sibling = c.request(1, cgiParams("/sibling"));
    const broken = c.request(2, cgiParams("/break")).then(
      () => "answered",
      (error: Error) => error.message,
    );
    await waitFor(() => /request 2 broke/.test(logs.join("\n")), 2000, "the break");
    expect(logs.join("\n")).toMatch(/once the 1 other request\(s\) on it are answered/);
    const late = c.request(3, cgiParams("/late"));
    expect((await late).protocolStatus).toBe(ProtocolStatus.OVERLOADED);
    expect(c.isClosed).toBe(false);
    open();
    const res = await sibling;
    expect(res.body.toString()).toBe(
      "/sibling 0\n/sibling 1\n/sibling 2\n/sibling 3\n/sibling 4\n",
    );
    expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
    expect(await broken).toMatch(/closed before END_REQUEST for request 2/);
    await c.closed;
  });

  /** An app that streams "partial", writes `lines` KiB lines to tsgi.errors, then fails. */
  function noisyFailure(lines: number): Application {
    const line = `${"e".repeat(1023)}\n`;
    return (environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return (async function* () {
        yield text("partial");
        for (let i = 0; i < lines; i++) environ["tsgi.errors"].write(line);
        throw new Error("late failure");
      })();
    };
  }

  /** Runs `app` for a client that reads nothing until the response broke; what it got. */
  async function slowClientOf(app: Application) {
    const { client, logs } = await start(app);
    const c = await client();
    c.socket.pause();
    const res = c.request(1, cgiParams("/"));
    res.catch(() => {});
    await waitFor(() => /request 1 broke/.test(logs.join("\n")), 5000, "the break");
    c.socket.resume();
    await expect(res).rejects.toThrow(/closed before END_REQUEST/);
    expect(c.records.some((r) => r.type === RecordType.END_REQUEST)).toBe(false);
    const stderr = Buffer.concat(
      c.records.filter((r) => r.type === RecordType.STDERR).map((r) => r.content),
    ).toString();
    return { stderr, logs };
  }

  test("after a break, what the socket still holds reaches a slow web server, then the close", async () => {
    // 7 MiB of tsgi.errors is more than the kernel buffers take on loopback (~4 MiB while the
    // client reads nothing): the rest is still in the socket when the app fails, and must not
    // be dropped with the connection.
    const { stderr } = await slowClientOf(noisyFailure(7 * 1024));
    expect(stderr.length).toBeGreaterThan(7 * 1024 * 1024);
    expect(stderr).toMatch(/late failure/);
  });

  test("tsgi.errors for a web server that reads nothing goes to the log past 8 MiB, not into memory", async () => {
    const lines = 32 * 1024;
    const { stderr, logs } = await slowClientOf(noisyFailure(lines));
    const diverted = logs.filter((l) =>
      l.startsWith("tsgi: request 1 (web server not reading): e"),
    );
    expect(diverted.length).toBeGreaterThan(0);
    expect(stderr.length).toBeLessThan(16 * 1024 * 1024);
    expect(stderr.split("\n").filter((l) => l.startsWith("e")).length + diverted.length).toBe(
      lines,
    );
    expect(logs.join("\n")).toMatch(
      /web server not reading\): tsgi: error in application .*late failure/s,
    );
  });
});

describe("a client that leaves an endless body", () => {
  test.each([
    ["1 KiB chunks (copied)", 1024],
    ["64 KiB chunks (written by reference)", 64 * 1024],
  ])("%s: close() runs and nothing spins", async (_name, size) => {
    let closed = 0;
    const chunk = new Uint8Array(size);
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", []);
      return {
        async *[Symbol.asyncIterator]() {
          for (;;) yield chunk;
        },
        close() {
          closed++;
        },
      };
    };
    const { client } = await start(app);
    const c = await client();
    c.keepStdout = false;
    c.begin(1);
    c.params(1, cgiParams("/"));
    c.stdin(1, new Uint8Array(0));
    await waitFor(() => c.stdoutBytes > 0, 10_000, "the first STDOUT");
    c.socket.destroy();
    // A server spinning on microtasks would never let waitFor's timer fire.
    await waitFor(() => closed > 0, 10_000, "close()");
    await sleep(50);
    expect(closed).toBe(1);
  });
});
