import { describe, expect, test } from "vitest";
import type { Application } from "../../../src/core/types.js";
import { encodePairs, FCGI_KEEP_CONN, RecordType } from "../../../src/protocol/fastcgi.js";
import { cgiParams } from "../../helpers/fastcgi-client.js";
import { concat, length, pair, record } from "../../helpers/fastcgi-records.js";
import { waitFor } from "../../helpers/integration.js";
import { sleep, start, text } from "./setup.js";

const BEGIN = (id: number) =>
  record(RecordType.BEGIN_REQUEST, id, [0, 1, FCGI_KEEP_CONN, 0, 0, 0, 0, 0]);
const PARAMS = (id: number, content: Uint8Array | number[] | string) =>
  record(RecordType.PARAMS, id, content);
const END_PARAMS = (id: number) => record(RecordType.PARAMS, id);

const CASES: Array<[string, Uint8Array, RegExp]> = [
  [
    "bad version",
    record(RecordType.BEGIN_REQUEST, 1, [0, 1, 1, 0, 0, 0, 0, 0], undefined, 2),
    /unsupported version 2/,
  ],
  [
    "wrong BEGIN_REQUEST length",
    record(RecordType.BEGIN_REQUEST, 1, [0, 1, 1]),
    /BEGIN_REQUEST for request 1: content length 3/,
  ],
  ["BEGIN_REQUEST with id 0", BEGIN(0), /request id 0/],
  [
    "NUL in a param name",
    concat(BEGIN(7), PARAMS(7, pair("BAD\0NAME", "x")), END_PARAMS(7)),
    /PARAMS for request 7: .*NUL/,
  ],
  [
    "a pair overrunning its data",
    concat(BEGIN(7), PARAMS(7, concat(length(5), length(200), "NAME")), END_PARAMS(7)),
    /PARAMS for request 7: pair at byte 0/,
  ],
  [
    "BEGIN_REQUEST for an active id",
    concat(BEGIN(3), BEGIN(3)),
    /BEGIN_REQUEST for request 3, which is still active/,
  ],
  [
    "STDIN before PARAMS ended",
    concat(BEGIN(4), record(RecordType.STDIN, 4, "x")),
    /STDIN for request 4: arrived before its PARAMS ended/,
  ],
  [
    "STDOUT from the web server",
    concat(BEGIN(4), record(RecordType.STDOUT, 4, "x")),
    /STDOUT record for request 4: not expected from a web server/,
  ],
  ["GET_VALUES with a bad pair", record(RecordType.GET_VALUES, 0, [0x80, 0, 0]), /GET_VALUES/],
];

/** Streams slowly until told to finish, so a request is in flight on another connection. */
function slowApp() {
  let release: () => void = () => {};
  const released = new Promise<void>((r) => (release = r));
  const app: Application = (environ, startResponse) => {
    startResponse("200 OK", [["Content-Type", "text/plain"]]);
    if (environ.PATH_INFO !== "/slow") return [text("quick")];
    return (async function* () {
      yield text("one ");
      await released;
      yield text("two");
    })();
  };
  return { app, release };
}

describe("malformed input closes that connection only", () => {
  test.each(CASES)("%s", async (_name, bytes, message) => {
    const { app, release } = slowApp();
    const { client, logs } = await start(app, { maxParamsBytes: 2000, maxParamsPairs: 10 });
    const good = await client();
    const inFlight = good.request(1, cgiParams("/slow"));
    await good.nextRecord((r) => r.type === RecordType.STDOUT);
    const bad = await client();
    bad.send(bytes);
    await bad.closed;
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^tsgi: fastcgi connection 127\.0\.0\.1:\d+: /);
    expect(logs[0]).toMatch(message);
    release();
    expect((await inFlight).body.toString()).toBe("one two");
    expect((await good.request(2, cgiParams("/"))).body.toString()).toBe("quick");
  });

  // A limit refuses one request, not the connection: others on it, multiplexed, go on.
  test.each([
    [
      "PARAMS over maxParamsBytes",
      PARAMS(7, pair("X", "v".repeat(3000))),
      /PARAMS for request 7: 3\d{3} bytes exceed limit 2000 \(maxParamsBytes\); answered 431$/,
    ],
    [
      "pair count over maxParamsPairs",
      PARAMS(7, concat(...Array.from({ length: 20 }, (_, i) => pair(`N${i}`, "v")))),
      /PARAMS for request 7: pair count exceeds limit 10 \(maxParamsPairs\); answered 431$/,
    ],
  ])("%s: that request gets 431, the connection goes on", async (_name, params, message) => {
    const { app, release } = slowApp();
    const { client, logs } = await start(app, { maxParamsBytes: 2000, maxParamsPairs: 10 });
    const c = await client();
    const inFlight = c.request(1, cgiParams("/slow"));
    await c.nextRecord((r) => r.type === RecordType.STDOUT);
    const refused = c.response(7);
    c.send(concat(BEGIN(7), params, PARAMS(7, pair("A", "b")), END_PARAMS(7)));
    c.send(record(RecordType.STDIN, 7));
    const answer = await refused;
    expect(answer.stdout.toString("latin1")).toMatch(
      /^Status: 431 Request Header Fields Too Large\r\n/,
    );
    expect(answer.protocolStatus).toBe(0);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^tsgi: fastcgi connection 127\.0\.0\.1:\d+: /);
    expect(logs[0]).toMatch(message);
    release();
    expect((await inFlight).body.toString()).toBe("one two");
    expect((await c.request(7, cgiParams("/"))).body.toString()).toBe("quick");
  });

  // FastCGI 1.0 §3.3: "while a request ID R is inactive, the application ignores records with
  // requestId == R, except for FCGI_BEGIN_REQUEST".
  test.each([
    ["PARAMS for an id never begun", PARAMS(9, pair("A", "b"))],
    ["STDIN for an id never begun", record(RecordType.STDIN, 9, "x")],
    ["ABORT_REQUEST for an id never begun", record(RecordType.ABORT_REQUEST, 9)],
    ["DATA for an id never begun", record(RecordType.DATA, 9, "x")],
    ["DATA for an active RESPONDER request", record(RecordType.DATA, 2, "x")],
  ])("%s is ignored", async (_name, bytes) => {
    const { client, logs } = await start(slowApp().app);
    const c = await client();
    const response = c.response(2);
    c.begin(2);
    c.send(bytes);
    c.params(2, cgiParams("/"));
    c.stdin(2, new Uint8Array(0));
    expect((await response).body.toString()).toBe("quick");
    expect(c.records.filter((r) => r.requestId === 9)).toEqual([]);
    expect(logs).toEqual([]);
  });

  test("a record type newer than FastCGI 1.0 gets UNKNOWN_TYPE; the connection goes on", async () => {
    const { client, logs } = await start(slowApp().app);
    const c = await client();
    c.send(record(20, 3, "x"));
    const answer = await c.nextRecord((r) => r.type === RecordType.UNKNOWN_TYPE);
    expect(answer.requestId).toBe(0);
    expect(answer.content[0]).toBe(20);
    expect((await c.request(3, cgiParams("/"))).body.toString()).toBe("quick");
    expect(logs).toEqual([]);
  });

  test("late STDIN, PARAMS and ABORT for an ended id are ignored", async () => {
    const { client, logs } = await start(slowApp().app);
    const c = await client();
    await c.request(1, cgiParams("/"));
    c.send(concat(record(RecordType.STDIN, 1, "late"), record(RecordType.ABORT_REQUEST, 1)));
    expect((await c.request(2, cgiParams("/"))).body.toString()).toBe("quick");
    expect(logs).toEqual([]);
  });

  test("a request whose PARAMS never end is dropped after paramsTimeoutMs", async () => {
    const { client, logs } = await start(slowApp().app, { paramsTimeoutMs: 150 });
    const c = await client();
    c.send(concat(BEGIN(5), PARAMS(5, encodePairs([["A", "b"]]))));
    const dropped = await c.response(5);
    expect(dropped.stdout.length).toBe(0);
    expect(logs.join("\n")).toMatch(/request 5: PARAMS not complete after 150 ms/);
    await c.closed; // nothing else was active on it
  });

  test("a request whose STDIN stops coming is dropped after idleTimeoutMs", async () => {
    let reason: unknown;
    const reader: Application = async (environ, startResponse) => {
      environ["tsgi.signal"].addEventListener("abort", () => {
        reason = environ["tsgi.signal"].reason;
      });
      const body = await environ["tsgi.input"].read();
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [body];
    };
    const { client, logs } = await start(reader, { idleTimeoutMs: 150 });
    const c = await client();
    const dropped = c.response(5);
    c.begin(5);
    c.params(5, cgiParams("/", { REQUEST_METHOD: "POST", CONTENT_LENGTH: "10" }));
    c.stdin(5, text("abc"));
    const res = await dropped;
    expect(res.appStatus).toBe(1);
    expect(res.stdout.length).toBe(0);
    expect(logs.join("\n")).toMatch(/request 5: no STDIN for 150 ms \(idleTimeoutMs\); dropped/);
    expect(String(reason)).toMatch(/no STDIN/);
  });

  test("an upload held back because the app reads slowly is not idle", async () => {
    const slowReader: Application = async (environ, startResponse) => {
      await sleep(400); // the connection stops reading meanwhile: the body is past the mark
      const body = await environ["tsgi.input"].read();
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(String(body.length))];
    };
    const { client, logs } = await start(slowReader, { idleTimeoutMs: 100 });
    const c = await client();
    const body = new Uint8Array(4 * 1024 * 1024);
    const res = await c.request(1, cgiParams("/", { REQUEST_METHOD: "POST" }), { body });
    expect(res.body.toString()).toBe(String(body.length));
    expect(logs).toEqual([]);
  });

  test("a connection that stays idle is closed after idleTimeoutMs", async () => {
    const { client } = await start(slowApp().app, { idleTimeoutMs: 100 });
    const c = await client();
    await c.request(1, cgiParams("/"));
    const t0 = Date.now();
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
  });

  test("past maxConns new connections are closed at accept, with a throttled log line", async () => {
    const { client, logs } = await start(slowApp().app, { maxConns: 1 });
    const first = await client();
    const refused = await Promise.all([1, 2, 3, 4, 5].map(() => client()));
    for (const c of refused) await c.closed;
    // A flood of refusals is one line a second, not one each.
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/refused connection from 127\.0\.0\.1:\d+: maxConns 1 reached/);
    expect((await first.request(1, cgiParams("/"))).body.toString()).toBe("quick");
    first.close();
    await first.closed;
    await sleep(20);
    const third = await client();
    expect((await third.request(1, cgiParams("/"))).body.toString()).toBe("quick");
  });

  test("random garbage never escapes to the process", async () => {
    const { client, logs } = await start(slowApp().app);
    for (let i = 0; i < 20; i++) {
      const c = await client();
      const junk = Buffer.alloc(64 + i * 37);
      for (let j = 0; j < junk.length; j++) junk[j] = (j * 131 + i * 17) & 0xff;
      junk[0] = 1; // a plausible version, so decoding goes past the first header
      c.send(junk);
      c.close();
    }
    await waitFor(() => true, 100);
    const c = await client();
    expect((await c.request(1, cgiParams("/"))).body.toString()).toBe("quick");
    expect(logs.every((l) => l.startsWith("tsgi: fastcgi connection "))).toBe(true);
  });
});
