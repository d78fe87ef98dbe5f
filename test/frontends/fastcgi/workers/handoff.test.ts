/**
 * The hand-off (issue 10 §2) in one process: a connection served by server A moves, idle and at
 * a record boundary, to server B, with the bytes A had read passed along; the web server's side
 * never sees a close.
 */
import { createServer, type Server, Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import type { Application } from "../../../../src/core/types.js";
import { detachSocket } from "../../../../src/frontends/fastcgi/detach.js";
import {
  createFastCgiWorkerServer,
  type FastCgiWorkerServer,
} from "../../../../src/frontends/fastcgi/server.js";
import { encodeBeginRequest, FCGI_KEEP_CONN, Role } from "../../../../src/protocol/fastcgi.js";
import { cgiParams, FcgiClient } from "../../../helpers/fastcgi-client.js";

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

function named(name: string): Application {
  return (_environ, startResponse) => {
    startResponse("200 OK", [["Content-Type", "text/plain"]]);
    return [new TextEncoder().encode(name)];
  };
}

/**
 * What `child.send(msg, socket)` does between processes, done in one: the handle leaves the
 * old Socket object for a new one in the receiving process.
 */
function passHandle(socket: Socket): Socket {
  const holder = socket as unknown as { _handle: unknown };
  const handle = holder._handle;
  holder._handle = null;
  return new Socket({ handle, readable: true, writable: true } as never);
}

/** A listener whose connections server A adopts, as a worker adopts the master's. */
async function setup(appA = named("A")): Promise<{
  a: FastCgiWorkerServer;
  b: FastCgiWorkerServer;
  client: FcgiClient;
  logs: string[];
}> {
  const logs: string[] = [];
  const a = createFastCgiWorkerServer(appA, { log: (l) => logs.push(l) });
  const b = createFastCgiWorkerServer(named("B"), { log: (l) => logs.push(l) });
  const listener: Server = createServer({ pauseOnConnect: true }, (socket) => a.adopt(socket));
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const port = (listener.address() as { port: number }).port;
  const client = await FcgiClient.connect(`127.0.0.1:${port}`);
  cleanup.push(
    () => listener.close(),
    () => client.close(),
    () => a.close(),
    () => b.close(),
  );
  return { a, b, client, logs };
}

test("an idle keep-alive connection moves to another server between requests, unclosed", async () => {
  const { a, b, client, logs } = await setup();
  const first = await client.request(1, cgiParams("/"));
  expect(first.body.toString()).toBe("A");
  const moved: Buffer[] = [];
  const drained = a.handOff((socket: Socket, unread: Buffer) => {
    moved.push(unread);
    b.adopt(passHandle(socket), unread);
  });
  await drained;
  expect(moved).toHaveLength(1);
  expect(a.stats().connections).toBe(0);
  const second = await client.request(2, cgiParams("/"));
  expect(second.body.toString()).toBe("B");
  expect(client.isClosed).toBe(false);
  expect(logs).toEqual([]);
});

test("a connection with part of a record read is served where it is, and moves after that request", async () => {
  const { a, b, client } = await setup();
  await client.request(1, cgiParams("/"));
  // Half of the next BEGIN_REQUEST record: A must not hand the connection over mid-record.
  const begin = encodeBeginRequest(2, Role.RESPONDER, FCGI_KEEP_CONN);
  client.send(begin.subarray(0, 5));
  await new Promise((r) => setTimeout(r, 100));
  const drained = a.handOff((socket, unread) => b.adopt(passHandle(socket), unread));
  const answer = client.response(2);
  client.send(begin.subarray(5));
  client.params(2, cgiParams("/"));
  client.stdin(2, new Uint8Array(0));
  expect((await answer).body.toString()).toBe("A");
  await drained;
  expect((await client.request(3, cgiParams("/"))).body.toString()).toBe("B");
});

test("a connection without FCGI_KEEP_CONN closes as before instead of moving", async () => {
  const slow: Application = async (environ, startResponse) => {
    await new Promise((r) => setTimeout(r, 200));
    return named("A")(environ, startResponse);
  };
  const { a, client } = await setup(slow);
  const handed: Socket[] = [];
  const answer = client.request(1, cgiParams("/"), { keepConn: false });
  await new Promise((r) => setTimeout(r, 100)); // in flight in A
  await a.handOff((socket) => handed.push(socket));
  expect((await answer).body.toString()).toBe("A");
  await client.closed;
  expect(handed).toHaveLength(0);
});

test("detachSocket returns what was read and not consumed, and stops reading", async () => {
  let accepted: Socket | null = null;
  const listener = createServer((socket) => (accepted = socket));
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  const client = await FcgiClient.connect(
    `127.0.0.1:${(listener.address() as { port: number }).port}`,
  );
  cleanup.push(
    () => listener.close(),
    () => client.close(),
  );
  client.send(new TextEncoder().encode("hello"));
  await new Promise((r) => setTimeout(r, 100));
  const socket = accepted as unknown as Socket;
  expect(detachSocket(socket).toString()).toBe("hello");
  client.send(new TextEncoder().encode("world"));
  await new Promise((r) => setTimeout(r, 100));
  expect(socket.readableLength).toBe(0); // left in the kernel for the next owner
  socket.destroy();
});
