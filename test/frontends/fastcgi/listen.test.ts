import { spawn } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { createFastCgiServer } from "../../../src/fastcgi.js";
import {
  parseListenAddress,
  parseWebServerAddrs,
} from "../../../src/frontends/fastcgi/addresses.js";
import { cgiParams, FcgiClient } from "../../helpers/fastcgi-client.js";
import { tempDirs } from "../../helpers/integration.js";
import { hello, start } from "./setup.js";

const dirs = tempDirs("tsgi-fcgi-");
const dir = () => dirs.make();

describe("listen addresses", () => {
  test.each([
    ["127.0.0.1:9000", { kind: "tcp", host: "127.0.0.1", port: 9000 }],
    ["[::1]:9000", { kind: "tcp", host: "::1", port: 9000 }],
    ["localhost:0", { kind: "tcp", host: "localhost", port: 0 }],
    ["/run/x.sock", { kind: "unix", path: "/run/x.sock" }],
    ["unix:/run/x.sock", { kind: "unix", path: "/run/x.sock" }],
    [undefined, { kind: "fd", fd: 0 }],
  ])("%s", (input, expected) => {
    expect(parseListenAddress(input)).toEqual(expected);
  });

  test.each(["9000", "host:99999", "relative.sock", "::1:9000"])("%s is refused", (input) => {
    expect(() => parseListenAddress(input)).toThrow(/listen address/);
  });
});

describe("Unix socket", () => {
  test("created with mode 0660 and removed on close", async () => {
    const path = join(dir(), "app.sock");
    const server = createFastCgiServer(hello, { log: () => {} });
    await server.listen(path);
    expect(server.address()).toBe(path);
    expect(statSync(path).mode & 0o777).toBe(0o660);
    const c = await FcgiClient.connect(path);
    expect((await c.request(1, cgiParams("/"))).status).toBe("200 OK");
    c.close();
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  // The mode comes from the umask at bind(2), before the chmod: a wide umask must not leave the
  // socket open to everyone in between.
  test("bound under a umask that grants no more than socketMode, which is then restored", async () => {
    const path = join(dir(), "app.sock");
    const set = vi.spyOn(process, "umask");
    const before = process.umask(0o000);
    try {
      const { server } = await start(hello, { socketMode: 0o640 }, path);
      expect(set.mock.calls.map((args) => args[0])).toEqual([0o000, 0o137, 0o000]);
      expect(process.umask(before)).toBe(0o000); // restored after the bind
      expect(statSync(path).mode & 0o777).toBe(0o640);
      expect(server.address()).toBe(path);
    } finally {
      set.mockRestore();
      process.umask(before);
    }
  });

  test("a second listen() is refused, naming where it listens", async () => {
    const path = join(dir(), "app.sock");
    const { server } = await start(hello, {}, path);
    await expect(server.listen(join(dir(), "other.sock"))).rejects.toThrow(
      `this FastCGI server already listens on ${path}`,
    );
  });

  test("socketMode is honoured; unix: prefix accepted", async () => {
    const path = join(dir(), "app.sock");
    const { server } = await start(hello, { socketMode: 0o600 }, `unix:${path}`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(server.address()).toBe(path);
  });

  test("a stale socket file from a dead process is replaced", async () => {
    const path = join(dir(), "stale.sock");
    // A socket file nobody listens on: bind, then close without unlinking... simulate by
    // listening from a child process that is killed.
    const child = spawn(process.execPath, [
      "-e",
      `require("net").createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    await new Promise((r) => child.on("exit", r));
    expect(statSync(path).isSocket()).toBe(true);
    const { client } = await start(hello, {}, path);
    const c = await client();
    expect((await c.request(1, cgiParams("/"))).status).toBe("200 OK");
  });

  test("a live socket is not replaced", async () => {
    const path = join(dir(), "live.sock");
    const other: Server = createServer();
    await new Promise<void>((r) => other.listen(path, r));
    try {
      const server = createFastCgiServer(hello, { log: () => {} });
      await expect(server.listen(path)).rejects.toThrow(/in use/);
      expect(statSync(path).isSocket()).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  test("a file that is not a socket is not replaced", async () => {
    const path = join(dir(), "file.sock");
    writeFileSync(path, "keep me");
    const server = createFastCgiServer(hello, { log: () => {} });
    await expect(server.listen(path)).rejects.toThrow(/not a socket/);
  });
});

describe("FCGI_WEB_SERVER_ADDRS", () => {
  test.each([
    ["127.0.0.1", "127.0.0.1", true],
    ["127.0.0.1", "::ffff:127.0.0.1", true],
    ["::ffff:10.0.0.1", "10.0.0.1", true],
    ["10.0.0.1, 10.0.0.2", "10.0.0.2", true],
    ["0:0:0:0:0:0:0:1", "::1", true],
    ["10.0.0.1", "127.0.0.1", false],
    ["10.0.0.1", "::1", false],
  ])("list %s, peer %s -> %s", (list, peer, allowed) => {
    expect(parseWebServerAddrs(list, () => {})!(peer)).toBe(allowed);
  });

  test("unset means anyone", () => {
    expect(parseWebServerAddrs(undefined, () => {})).toBeNull();
  });

  test("a peer not in the list is closed at accept with a log line", async () => {
    const saved = process.env.FCGI_WEB_SERVER_ADDRS;
    process.env.FCGI_WEB_SERVER_ADDRS = "10.9.8.7";
    try {
      const { client, logs } = await start(hello);
      const c = await client();
      await c.closed;
      expect(logs.join("\n")).toMatch(
        /refused connection from 127\.0\.0\.1:\d+: not in FCGI_WEB_SERVER_ADDRS/,
      );
    } finally {
      if (saved === undefined) delete process.env.FCGI_WEB_SERVER_ADDRS;
      else process.env.FCGI_WEB_SERVER_ADDRS = saved;
    }
  });

  test("a listed peer is served", async () => {
    const saved = process.env.FCGI_WEB_SERVER_ADDRS;
    process.env.FCGI_WEB_SERVER_ADDRS = "10.9.8.7,127.0.0.1";
    try {
      const { client } = await start(hello);
      const c = await client();
      expect((await c.request(1, cgiParams("/"))).status).toBe("200 OK");
    } finally {
      if (saved === undefined) delete process.env.FCGI_WEB_SERVER_ADDRS;
      else process.env.FCGI_WEB_SERVER_ADDRS = saved;
    }
  });
});
