import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { cgiParams, FcgiClient } from "../helpers/fastcgi-client.js";
import {
  describeIntegration,
  findBinary,
  freePort,
  need,
  tempDir,
  waitFor,
} from "../helpers/integration.js";
import { type NotifySocket, PYTHON, startNotifySocket } from "../helpers/notify-socket.js";
import { builtCli, CLI, ROOT } from "./run-cli.js";

const ACTIVATE = findBinary("systemd-socket-activate");
const HELLO = join(ROOT, "examples/hello.mjs");

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function started(child: ChildProcess): { stderr: () => string } {
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  cleanups.push(() => child.kill("SIGKILL"));
  return { stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on("exit", (code) => resolve(code));
  });
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

async function get(address: string, path: string, id = 1): Promise<string> {
  const c = await FcgiClient.connect(address);
  try {
    return (await c.request(id, cgiParams(path, { REQUEST_URI: path }))).body.toString();
  } finally {
    c.close();
  }
}

describeIntegration(
  "tsgi fcgi under systemd (socket activation, Type=notify) with its access log",
  [builtCli, need("systemd-socket-activate", ACTIVATE), need("python3", PYTHON)],
  () => {
    test("LISTEN_FDS socket, READY=1 then STOPPING=1, access log reopened on SIGUSR1", async () => {
      const notify: NotifySocket = await startNotifySocket();
      cleanups.push(() => notify.close());
      const dir = tempDir("tsgi-ops-cli-");
      cleanups.push(dir.remove);
      const log = join(dir.path, "access.log");
      const port = await freePort();
      const address = `127.0.0.1:${port}`;
      // systemd-socket-activate gives the child only LISTEN_* and what -E names.
      const child = spawn(
        ACTIVATE!,
        [
          "-l",
          address,
          "-E",
          "PATH",
          "-E",
          `NOTIFY_SOCKET=${notify.path}`,
          process.execPath,
          CLI,
          "fcgi",
          HELLO,
          "--access-log",
          log,
          "--status-path",
          "/status",
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      const { stderr } = started(child);
      await waitFor(() => stderr().includes("Listening on"), 10_000, "systemd-socket-activate");
      // The first connection makes systemd-socket-activate exec tsgi with the socket on fd 3.
      expect(await get(address, "/one")).toBe("Hello, world!\n");
      // The inherited socket (fd 3) is the one systemd bound: it reports that address.
      expect(stderr()).toContain(`tsgi: FastCGI on ${address}`);
      expect(await notify.waitFor(/READY=1/)).toBe(`READY=1 STATUS=serving on ${address}`);
      await waitFor(() => read(log).includes('"GET /one'), 5000, "the access-log line");
      renameSync(log, `${log}.1`);
      expect(await get(address, "/two")).toBe("Hello, world!\n");
      await waitFor(
        () => read(`${log}.1`).includes('"GET /two'),
        5000,
        "a line in the renamed file",
      );
      child.kill("SIGUSR1");
      await new Promise((r) => setTimeout(r, 300)); // signals are asynchronous
      expect(await get(address, "/three")).toBe("Hello, world!\n");
      await waitFor(() => read(log).includes('"GET /three'), 5000, "a line in the reopened file");
      expect(read(`${log}.1`)).not.toContain("/three");
      expect(read(log).split("\n").filter(Boolean)).toHaveLength(1);
      // The status page is not an app request: not in the access log.
      expect(await get(address, "/status")).toMatch(/^pool: +tsgi$/m);
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
      expect(notify.messages).toContain("STOPPING=1");
      expect(stderr()).not.toMatch(/inspector|Debugger/i);
    }, 60_000);

    test("--workers 2: READY=1 once both workers are ready, RELOADING=1 then READY=1 around a SIGHUP, STOPPING=1", async () => {
      const notify: NotifySocket = await startNotifySocket();
      cleanups.push(() => notify.close());
      const port = await freePort();
      const child = spawn(
        process.execPath,
        [CLI, "fcgi", HELLO, "--listen", `127.0.0.1:${port}`, "--workers", "2"],
        {
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, NOTIFY_SOCKET: notify.path },
        },
      );
      const { stderr } = started(child);
      expect(await notify.waitFor(/READY=1/)).toBe("READY=1 STATUS=2 workers ready");
      child.kill("SIGHUP");
      await notify.waitFor(/generation 1: reload done/, 30_000);
      await waitFor(
        () => /reload \(generation 1\) done/.test(stderr()),
        5000,
        "the reload's log line",
      );
      const states = notify.messages
        .filter((m) => !m.startsWith("BARRIER"))
        .map((m) => m.split(" ")[0]);
      expect(states).toEqual(["READY=1", "RELOADING=1", "READY=1"]);
      expect(notify.messages.find((m) => m.startsWith("RELOADING=1"))).toMatch(
        /^RELOADING=1 MONOTONIC_USEC=\d+$/,
      );
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
      await notify.waitFor(/STOPPING=1/);
    }, 60_000);
  },
);
