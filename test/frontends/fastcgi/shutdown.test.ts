import { connect } from "node:net";
import { describe, expect, test } from "vitest";
import { ClientGoneError } from "../../../src/core/errors.js";
import { FCGI_MPXS_CONNS, ProtocolStatus } from "../../../src/protocol/fastcgi.js";
import { cgiParams, type FcgiClient } from "../../helpers/fastcgi-client.js";
import { waitFor } from "../../helpers/integration.js";
import { echo, sleep, start, text } from "./setup.js";

/** Resolves with the error code of a TCP connect to address, or "connected". */
function tryConnect(address: string): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(":")), address.split(":").pop()];
  return new Promise((resolve) => {
    const socket = connect(Number(port), host, () => {
      socket.destroy();
      resolve("connected");
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
  });
}

/**
 * Whether `promise` settles within `ms`. The tests give shutdown a grace far longer than that,
 * so a connection closed by the grace's cut-off, rather than when its requests were done,
 * counts as not closed.
 */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);
}

const GRACE = 60_000;

/**
 * Sends request `id` to the echo app up to the middle of its body: it stays in flight. The
 * server handles records in order, so once a GET_VALUES sent after it is answered, the request
 * has begun there.
 */
async function halfSent(c: FcgiClient, id: number) {
  const response = c.response(id);
  c.begin(id);
  c.params(id, cgiParams(`/r${id}`, { REQUEST_METHOD: "POST" }));
  c.stdin(id, text("first half, "));
  await c.getValues([FCGI_MPXS_CONNS]);
  return { response };
}

describe("FastCGI shutdown(graceMs)", () => {
  test("a request in flight is answered in full; then its connection closes and shutdown resolves", async () => {
    const { server, address, client, logs } = await start(echo);
    const c = await client();
    const { response } = await halfSent(c, 1);
    let resolved = false;
    const done = server.shutdown(GRACE).then(() => {
      resolved = true;
    });
    expect(await tryConnect(address)).toBe("ECONNREFUSED");
    await sleep(50);
    expect(resolved).toBe(false);
    expect(c.isClosed).toBe(false);
    c.stdin(1, text("second half"));
    c.stdin(1, new Uint8Array(0));
    const res = await response;
    expect(res.body.toString()).toBe("POST /r1 23\nfirst half, second half");
    expect(res.protocolStatus).toBe(ProtocolStatus.REQUEST_COMPLETE);
    expect(await settlesWithin(c.closed, 2000)).toBe(true);
    expect(await settlesWithin(done, 2000)).toBe(true);
    expect(logs.join("\n")).toMatch(/shutting down: waiting up to 60000 ms for 1 request/);
  });

  test("an idle keep-alive connection is closed at once", async () => {
    const { server, client, logs } = await start(echo);
    const c = await client();
    expect((await c.request(1, cgiParams("/a"))).status).toBe("200 OK");
    expect(await settlesWithin(server.shutdown(GRACE), 2000)).toBe(true);
    expect(c.isClosed).toBe(true);
    expect(logs).toEqual([]); // nothing was in flight: nothing to say
  });

  test("a request the web server sends on a draining connection before it closes is answered", async () => {
    const { server, client } = await start(echo);
    const c = await client();
    const { response: first } = await halfSent(c, 1);
    const done = server.shutdown(GRACE);
    const second = c.request(2, cgiParams("/late"));
    expect((await second).body.toString()).toBe("GET /late 0\n");
    expect(c.isClosed).toBe(false); // request 1 is still in flight
    c.stdin(1, new Uint8Array(0));
    expect((await first).body.toString()).toBe("POST /r1 12\nfirst half, ");
    expect(await settlesWithin(c.closed, 2000)).toBe(true);
    expect(await settlesWithin(done, 2000)).toBe(true);
  });

  test("past graceMs what still runs is aborted: tsgi.signal fires, close() runs, no END_REQUEST", async () => {
    const seen = { closed: 0, reason: undefined as unknown };
    const { server, client } = await start((environ, startResponse) => {
      const signal = environ["tsgi.signal"];
      signal.addEventListener("abort", () => {
        seen.reason = signal.reason;
      });
      startResponse("200 OK", [["Content-Type", "text/plain"]]);
      const body = (async function* () {
        while (!signal.aborted) {
          yield text("tick\n");
          await sleep(10);
        }
      })();
      return Object.assign(body, { close: () => void seen.closed++ });
    });
    const c = await client();
    const response = c.request(1, cgiParams("/endless")).then(
      () => "answered",
      (error: Error) => error.message,
    );
    await c.nextRecord((r) => r.content.length > 0);
    const began = Date.now();
    await server.shutdown(150);
    expect(Date.now() - began).toBeGreaterThanOrEqual(140);
    expect(await response).toMatch(/closed before END_REQUEST/);
    await waitFor(() => seen.closed === 1, 2000, "close()");
    expect(seen.reason).toBeInstanceOf(ClientGoneError);
  });
});
