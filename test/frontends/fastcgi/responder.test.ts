import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import type { Application } from "../../../src/core/types.js";
import {
  encodePairs,
  encodeRecord,
  FCGI_MAX_CONNS,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  ProtocolStatus,
  RecordType,
  Role,
} from "../../../src/protocol/fastcgi.js";
import { cgiParams } from "../../helpers/fastcgi-client.js";
import { record } from "../../helpers/fastcgi-records.js";
import { echo, hello, sleep, start, text } from "./setup.js";

describe("FastCGI responder", () => {
  test("hello world: exact STDOUT bytes, END_REQUEST(0, REQUEST_COMPLETE), one write", async () => {
    const { client } = await start(hello);
    const c = await client();
    let reads = 0;
    c.socket.on("data", () => reads++);
    const res = await c.request(1, cgiParams("/"));
    expect(res.stdout.toString("latin1")).toBe(
      "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n",
    );
    expect(res.appStatus).toBe(0);
    expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
    expect(c.records.map((r) => r.type)).toEqual([
      RecordType.STDOUT,
      RecordType.STDOUT,
      RecordType.END_REQUEST,
    ]);
    expect(c.records[1].content.length).toBe(0);
    expect(reads).toBe(1); // head + body + empty STDOUT + END_REQUEST arrived together
  });

  test("PARAMS split across records, a pair straddling two records", async () => {
    const app: Application = (environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(`${environ.HTTP_X_LONG?.length} ${environ.PATH_INFO} ${environ.QUERY_STRING}`)];
    };
    const { client } = await start(app);
    const c = await client();
    const params = cgiParams("/p/q?x=1", { HTTP_X_LONG: "v".repeat(300) });
    const res = await c.request(1, params, { paramsRecordSize: 7 });
    expect(res.body.toString()).toBe("300 /p/q x=1");
  });

  // PARAMS bytes are borrowed from the socket's chunk and copied when that chunk is done.
  test("PARAMS over several socket reads, a pair cut between them, then a second request", async () => {
    const app: Application = (environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(`${environ.HTTP_X_LONG} ${environ.PATH_INFO} ${environ.QUERY_STRING}`)];
    };
    const { client } = await start(app);
    const c = await client();
    for (const [id, long] of [
      [1, "a".repeat(250)],
      [2, "b".repeat(250)],
    ] as const) {
      const response = c.response(id);
      c.begin(id);
      const content = encodePairs(Object.entries(cgiParams("/p?x=1", { HTTP_X_LONG: long })));
      for (let at = 0; at < content.length; at += 100) {
        c.send(encodeRecord(RecordType.PARAMS, id, content.subarray(at, at + 100)));
        await new Promise((resolve) => setTimeout(resolve, 5)); // its own read
      }
      c.params(id, {});
      c.stdin(id, new Uint8Array(0));
      expect((await response).body.toString()).toBe(`${long} /p x=1`);
    }
  });

  test("a 10 MiB upload streams through tsgi.input (hash checked)", async () => {
    const app: Application = async (environ, startResponse) => {
      const hash = createHash("sha256");
      let n = 0;
      for await (const chunk of environ["tsgi.input"]) {
        hash.update(chunk);
        n += chunk.length;
      }
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(`${n} ${hash.digest("hex")}`)];
    };
    const { client } = await start(app);
    const c = await client();
    const body = Buffer.alloc(10 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 4) body.writeUInt32LE(i, i);
    const expected = createHash("sha256").update(body).digest("hex");
    const res = await c.request(
      1,
      cgiParams("/", { REQUEST_METHOD: "POST", CONTENT_LENGTH: String(body.length) }),
      { body },
    );
    expect(res.body.toString()).toBe(`${body.length} ${expected}`);
  });

  test("a chunked upload (no CONTENT_LENGTH) is read to the empty STDIN record", async () => {
    const { client } = await start(echo);
    const c = await client();
    const res = await c.request(1, cgiParams("/up", { REQUEST_METHOD: "POST" }), {
      body: [text("abc"), text("defgh")],
    });
    expect(res.body.toString()).toBe("POST /up 8\nabcdefgh");
  });

  test("a malformed CONTENT_LENGTH is a 400 for that request", async () => {
    const { client, logs } = await start(echo);
    const c = await client();
    const res = await c.request(1, cgiParams("/", { CONTENT_LENGTH: "12x" }));
    expect(res.status).toBe("400 Bad Request");
    expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
    expect(logs.join("\n")).toMatch(/CONTENT_LENGTH/);
    expect((await c.request(1, cgiParams("/ok"))).status).toBe("200 OK");
  });

  test("FCGI_KEEP_CONN set: two requests in sequence with id 1 on one connection", async () => {
    const { client } = await start(echo);
    const c = await client();
    expect((await c.request(1, cgiParams("/a"))).body.toString()).toBe("GET /a 0\n");
    expect((await c.request(1, cgiParams("/b"))).body.toString()).toBe("GET /b 0\n");
    expect(c.isClosed).toBe(false);
  });

  test("FCGI_KEEP_CONN clear: the server closes the connection after END_REQUEST", async () => {
    const { client } = await start(hello);
    const c = await client();
    const res = await c.request(1, cgiParams("/"), { keepConn: false });
    expect(res.status).toBe("200 OK");
    await c.closed;
  });

  test("FCGI_KEEP_CONN clear beside a multiplexed request: closed once both are answered", async () => {
    const { client } = await start(echo);
    const c = await client();
    const second = c.response(2);
    c.begin(2);
    c.params(2, cgiParams("/still-reading", { REQUEST_METHOD: "PUT" }));
    c.stdin(2, text("part one, "));
    const first = await c.request(1, cgiParams("/last"), { keepConn: false });
    expect(first.body.toString()).toBe("GET /last 0\n");
    expect(c.isClosed).toBe(false); // request 2 is still being sent
    c.stdin(2, text("part two"));
    c.stdin(2, new Uint8Array(0));
    expect((await second).body.toString()).toBe("PUT /still-reading 18\npart one, part two");
    await c.closed;
  });

  describe("a web server that shuts down its sending side (half-close)", () => {
    const slow: Application = async (environ, startResponse) => {
      await sleep(50);
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text(`late answer to ${environ.PATH_INFO}`)];
    };

    test("a complete request is still answered, then the connection closes", async () => {
      const { client } = await start(slow);
      const c = await client();
      const response = c.request(1, cgiParams("/a"));
      c.socket.end();
      const res = await response;
      expect(res.body.toString()).toBe("late answer to /a");
      expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
      await c.closed;
    });

    test("a request still in PARAMS ends with END_REQUEST(1); an idle connection closes", async () => {
      const { client } = await start(slow);
      const c = await client();
      const response = c.response(1);
      c.begin(1);
      c.send(encodeRecord(RecordType.PARAMS, 1, encodePairs([["PATH_INFO", "/x"]])));
      c.socket.end();
      const res = await response;
      expect(res.appStatus).toBe(1);
      expect(res.stdout.length).toBe(0);
      await c.closed;
    });

    test("a request whose STDIN is cut short ends as aborted; a complete one is answered", async () => {
      const { client, logs } = await start(echo);
      const c = await client();
      const cut = c.response(1);
      c.begin(1);
      c.params(1, cgiParams("/cut", { REQUEST_METHOD: "POST" }));
      c.stdin(1, text("half"));
      const whole = c.request(2, cgiParams("/whole", { REQUEST_METHOD: "POST" }), {
        body: text("all of it"),
      });
      c.socket.end();
      expect((await whole).body.toString()).toBe("POST /whole 9\nall of it");
      const res = await cut;
      expect(res.appStatus).toBe(1);
      expect(res.stdout.length).toBe(0);
      await c.closed;
      expect(logs).toEqual([]);
    });
  });

  test("multiplexing: 3 requests interleaved on one connection, each answered", async () => {
    const { client } = await start(echo);
    const c = await client();
    const ids = [3, 1, 2];
    const responses = ids.map((id) => c.response(id));
    for (const id of ids) c.begin(id);
    for (const id of ids) c.params(id, cgiParams(`/r${id}`, { REQUEST_METHOD: "PUT" }), 5);
    for (const id of ids) c.stdin(id, text(`body-${id}-`));
    for (const id of ids) c.stdin(id, text(`${id}`));
    for (const id of ids) c.stdin(id, new Uint8Array(0));
    const bodies = (await Promise.all(responses)).map((r) => r.body.toString());
    expect(bodies).toEqual(ids.map((id) => `PUT /r${id} 8\nbody-${id}-${id}`));
  });

  test("GET_VALUES: exactly the variables asked for, unknown names omitted", async () => {
    const { client } = await start(hello, { maxConns: 7, maxReqs: 9 });
    const c = await client();
    expect(await c.getValues([FCGI_MPXS_CONNS, "FCGI_NONSENSE", FCGI_MAX_REQS])).toEqual([
      [FCGI_MPXS_CONNS, "1"],
      [FCGI_MAX_REQS, "9"],
    ]);
    expect(await c.getValues([FCGI_MAX_CONNS])).toEqual([[FCGI_MAX_CONNS, "7"]]);
    expect(await c.getValues(["X"])).toEqual([]);
  });

  test("GET_VALUES: FCGI_MAX_REQS is what one connection can count on", async () => {
    const perConn = await (await start(hello, { maxReqs: 100, maxRequestsPerConn: 4 })).client();
    expect(await perConn.getValues([FCGI_MAX_REQS])).toEqual([[FCGI_MAX_REQS, "4"]]);
    const total = await (await start(hello, { maxReqs: 3, maxRequestsPerConn: 4 })).client();
    expect(await total.getValues([FCGI_MAX_REQS])).toEqual([[FCGI_MAX_REQS, "3"]]);
  });

  test("an unknown management record type gets UNKNOWN_TYPE; the connection stays", async () => {
    const { client } = await start(hello);
    const c = await client();
    c.send(record(99, 0, [1, 2, 3]));
    const answer = await c.nextRecord((r) => r.type === RecordType.UNKNOWN_TYPE);
    expect(answer.requestId).toBe(0);
    expect(answer.content[0]).toBe(99);
    expect((await c.request(1, cgiParams("/"))).status).toBe("200 OK");
  });

  test.each([
    ["AUTHORIZER", Role.AUTHORIZER],
    ["FILTER", Role.FILTER],
  ])("%s gets END_REQUEST with FCGI_UNKNOWN_ROLE", async (_name, role) => {
    const { client } = await start(hello);
    const c = await client();
    const res = await c.request(5, cgiParams("/"), { role, body: text("x") });
    expect(res.protocolStatus).toBe(ProtocolStatus.UNKNOWN_ROLE);
    expect(res.stdout.length).toBe(0);
    expect((await c.request(6, cgiParams("/"))).status).toBe("200 OK");
  });

  test("past maxReqs a BEGIN_REQUEST gets FCGI_OVERLOADED, logged once a second at most", async () => {
    const { client, logs } = await start(hello, { maxReqs: 2 });
    const c = await client();
    c.begin(1);
    c.begin(2);
    const refused = [3, 4, 5].map((id) => c.response(id));
    for (const id of [3, 4, 5]) c.begin(id);
    for (const answer of await Promise.all(refused)) {
      expect(answer.protocolStatus).toBe(ProtocolStatus.OVERLOADED);
    }
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^tsgi: fastcgi connection 127\.0\.0\.1:\d+: request 3 refused with FCGI_OVERLOADED: maxReqs 2 requests active$/,
    );
    const first = c.response(1);
    c.params(1, cgiParams("/"));
    c.stdin(1, new Uint8Array(0));
    expect((await first).status).toBe("200 OK");
  });

  test("an aborted request whose app ignores the abort still counts against maxReqs", async () => {
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    // An app that never looks at tsgi.signal and answers only when released.
    const app: Application = async (_environ, startResponse) => {
      await stuck;
      startResponse("200 OK", []);
      return [];
    };
    const { client } = await start(app, { maxReqs: 1 });
    const c = await client();
    c.begin(1);
    c.params(1, cgiParams("/"));
    c.stdin(1, new Uint8Array(0));
    const aborted = c.response(1);
    c.abort(1);
    await aborted;
    // Request 1's id is free again, but its app still runs: no room for another.
    const second = c.response(2);
    c.begin(2);
    expect((await second).protocolStatus).toBe(ProtocolStatus.OVERLOADED);
    release();
    await new Promise((r) => setTimeout(r, 20));
    const third = c.request(3, cgiParams("/"));
    expect((await third).status).toBe("200 OK");
  });

  test("past maxRequestsPerConn a BEGIN_REQUEST gets FCGI_OVERLOADED, with a log line", async () => {
    const { client, logs } = await start(hello, { maxRequestsPerConn: 1 });
    const c = await client();
    c.begin(1);
    const second = c.response(2);
    c.begin(2);
    expect((await second).protocolStatus).toBe(ProtocolStatus.OVERLOADED);
    expect(logs).toEqual([
      expect.stringMatching(
        /request 2 refused with FCGI_OVERLOADED: maxRequestsPerConn 1 requests active on this connection$/,
      ),
    ]);
  });

  test("tsgi.errors writes become STDERR records of that request", async () => {
    const app: Application = (environ, startResponse) => {
      environ["tsgi.errors"].write("something odd\n");
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      return [text("ok")];
    };
    const { client } = await start(app);
    const c = await client();
    const res = await c.request(4, cgiParams("/"));
    expect(res.stderr.toString()).toBe("something odd\n");
    expect(res.body.toString()).toBe("ok");
    const types = c.records.map((r) => r.type);
    expect(types.at(-1)).toBe(RecordType.END_REQUEST);
    expect(types.filter((t) => t === RecordType.STDERR)).toHaveLength(2); // data + empty
  });

  test("an app error before headers is a 500 with the stack on STDERR", async () => {
    const app: Application = () => {
      throw new Error("boom");
    };
    const { client } = await start(app);
    const c = await client();
    const res = await c.request(1, cgiParams("/"));
    expect(res.status).toBe("500 Internal Server Error");
    expect(res.stderr.toString()).toMatch(/boom/);
  });

  test("a large response is split into STDOUT records of at most 65535 bytes", async () => {
    const big = Buffer.alloc(200_000, 0x61);
    const app: Application = (_e, startResponse) => {
      startResponse("200 OK", [["Content-Length", String(big.length)]]);
      return [big];
    };
    const { client } = await start(app);
    const c = await client();
    const res = await c.request(1, cgiParams("/"));
    expect(res.body.equals(big)).toBe(true);
    const sizes = c.records
      .filter((r) => r.type === RecordType.STDOUT)
      .map((r) => r.content.length);
    expect(Math.max(...sizes)).toBe(65535);
  });
});
