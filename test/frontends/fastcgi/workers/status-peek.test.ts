import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { peekFirstRequest } from "../../../../src/frontends/fastcgi/workers/status-peek.js";
import {
  encodeBeginRequest,
  encodePairs,
  encodeRecord,
  FCGI_KEEP_CONN,
  RecordType,
  Role,
} from "../../../../src/protocol/fastcgi.js";
import { cgiParams, FcgiClient } from "../../../helpers/fastcgi-client.js";
import { waitFor } from "../../../helpers/integration.js";

/** The bytes of one whole request, as a web server sends it. */
function requestBytes(id: number, path: string, keepConn: boolean, query = ""): Buffer {
  const params = encodePairs(Object.entries(cgiParams(path, { QUERY_STRING: query })));
  return Buffer.concat([
    encodeBeginRequest(id, Role.RESPONDER, keepConn ? FCGI_KEEP_CONN : 0),
    encodeRecord(RecordType.PARAMS, id, params),
    encodeRecord(RecordType.PARAMS, id, new Uint8Array(0)),
    encodeRecord(RecordType.STDIN, id, new Uint8Array(0)),
  ]);
}

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A listener like the master's: each connection is peeked; hand-offs are recorded. */
async function master(): Promise<{
  address: string;
  handed: Array<{ socket: Socket; unread: Buffer }>;
}> {
  const handed: Array<{ socket: Socket; unread: Buffer }> = [];
  const page = (path: string, query: string) =>
    path === "/status" ? { contentType: "text/plain", body: `status ${query}\n` } : null;
  const server = createServer({ pauseOnConnect: true }, (socket) =>
    peekFirstRequest(socket, page, (peeked, unread) => {
      handed.push({ socket: peeked, unread });
      peeked.destroy();
    }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { address: `127.0.0.1:${port}`, handed };
}

describe("the master reads a new connection's first request", () => {
  test("a status request is answered there; without KEEP_CONN the connection ends", async () => {
    const { address, handed } = await master();
    const c = await FcgiClient.connect(address);
    const res = await c.request(1, cgiParams("/status", { QUERY_STRING: "json" }), {
      keepConn: false,
    });
    expect(res.status).toBe("200 OK");
    expect(res.headers).toContainEqual(["Content-Type", "text/plain"]);
    expect(res.body.toString()).toBe("status json\n");
    await c.closed;
    expect(handed).toEqual([]);
  });

  test("any other request goes on with every byte read, from its BEGIN_REQUEST", async () => {
    const { address, handed } = await master();
    const c = await FcgiClient.connect(address);
    const sent = requestBytes(1, "/app", true);
    c.send(sent);
    await waitFor(() => handed.length === 1, 5000, "the hand-off");
    expect(Buffer.compare(handed[0].unread, sent)).toBe(0);
    c.close();
  });

  test("with KEEP_CONN, the status request is answered and the next one handed off at its boundary", async () => {
    const { address, handed } = await master();
    const c = await FcgiClient.connect(address);
    const next = requestBytes(2, "/app", true);
    c.send(Buffer.concat([requestBytes(1, "/status", true, "full"), next]));
    await waitFor(() => handed.length === 1, 5000, "the hand-off");
    expect(Buffer.compare(handed[0].unread, next)).toBe(0);
    expect(c.records.some((r) => r.type === RecordType.END_REQUEST && r.requestId === 1)).toBe(
      true,
    );
    c.close();
  });

  test.each([
    [
      "a management record first",
      encodeRecord(RecordType.GET_VALUES, 0, encodePairs([["FCGI_MAX_CONNS", ""]])),
    ],
    [
      "a request split across packets, not status",
      requestBytes(3, "/other", false).subarray(0, 20),
    ],
  ])("%s: handed off untouched", async (_name, bytes) => {
    const { address, handed } = await master();
    const c = await FcgiClient.connect(address);
    c.send(bytes);
    if (bytes.length === 20) c.send(requestBytes(3, "/other", false).subarray(20));
    await waitFor(() => handed.length === 1, 5000, "the hand-off");
    const expected = bytes.length === 20 ? requestBytes(3, "/other", false) : bytes;
    expect(Buffer.compare(handed[0].unread, Buffer.from(expected))).toBe(0);
    c.close();
  });
});
