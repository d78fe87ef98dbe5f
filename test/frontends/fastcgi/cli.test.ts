import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { afterEach, expect, test } from "vitest";
import { FCGI_MPXS_CONNS } from "../../../src/protocol/fastcgi.js";
import { cgiParams, FcgiClient } from "../../helpers/fastcgi-client.js";
import { describeIntegration, freePort, need } from "../../helpers/integration.js";

const MAIN = "dist/cli/main.js";
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

function tsgi(
  args: string[],
  stdin: "ignore" | "pipe" | number = "ignore",
): ChildProcess & { stderrText: () => string } {
  const child = spawn(process.execPath, [MAIN, ...args], {
    stdio: [stdin, "pipe", "pipe"],
    env: { ...process.env, GATEWAY_INTERFACE: "" },
  });
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  return Object.assign(child, { stderrText: () => stderr });
}

function listening(child: ReturnType<typeof tsgi>): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = /tsgi: FastCGI on (\S+)\n/.exec(child.stderrText());
      if (match) resolve(match[1]);
    };
    child.stderr!.on("data", check);
    child.on("exit", (code) => reject(new Error(`tsgi exited ${code}: ${child.stderrText()}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

describeIntegration(
  "tsgi fcgi / tsgi run (built CLI)",
  [need("dist/cli/main.js (npm run build)", existsSync(MAIN))],
  () => {
    test("tsgi fcgi --listen serves, prints one line, exits 0 on SIGTERM", async () => {
      const port = await freePort();
      const child = tsgi(["fcgi", "examples/hello.mjs", "--listen", `127.0.0.1:${port}`]);
      expect(await listening(child)).toBe(`127.0.0.1:${port}`);
      const c = await FcgiClient.connect(`127.0.0.1:${port}`);
      expect((await c.request(1, cgiParams("/"))).body.toString()).toBe("Hello, world!\n");
      c.close();
      child.kill("SIGTERM");
      expect(await exited(child)).toBe(0);
      expect(child.stderrText().trim().split("\n")).toHaveLength(1);
    });

    // A restart behind nginx (systemd, mod_fcgid, lighttpd all send SIGTERM) must not cut a
    // response short: the request in flight here is still sending its body when the signal comes.
    test("SIGTERM lets a request in flight finish, then exits 0; a second signal aborts", async () => {
      const port = await freePort();
      const child = tsgi(["fcgi", "examples/echo.mjs", "--listen", `127.0.0.1:${port}`]);
      await listening(child);
      const c = await FcgiClient.connect(`127.0.0.1:${port}`);
      const response = c.response(1);
      c.begin(1);
      c.params(1, cgiParams("/up", { REQUEST_METHOD: "POST" }));
      c.stdin(1, new TextEncoder().encode("abc"));
      await c.getValues([FCGI_MPXS_CONNS]); // answered in order: request 1 has begun
      const exit = exited(child);
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 100));
      expect(child.exitCode).toBe(null);
      c.stdin(1, new TextEncoder().encode("def"));
      c.stdin(1, new Uint8Array(0));
      expect((await response).body.toString()).toMatch(/"body_length":6}\nabcdef$/);
      expect(await exit).toBe(0);
      expect(child.stderrText()).toMatch(/waiting up to 30000 ms for 1 request/);

      const again = tsgi(["fcgi", "examples/echo.mjs", "--listen", `127.0.0.1:${port}`]);
      await listening(again);
      const d = await FcgiClient.connect(`127.0.0.1:${port}`);
      const cut = d.response(1).then(
        () => "answered",
        (error: Error) => error.message,
      );
      d.begin(1);
      d.params(1, cgiParams("/up", { REQUEST_METHOD: "POST" }));
      await d.getValues([FCGI_MPXS_CONNS]);
      again.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 50));
      again.kill("SIGTERM");
      expect(await exited(again)).toBe(0);
      expect(await cut).toMatch(/closed before END_REQUEST/);
    });

    test("tsgi run serves FastCGI on the listening socket it inherits as fd 0", async () => {
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      const port = (server.address() as { port: number }).port;
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      const child = tsgi(["run", "examples/hello.mjs"], fd);
      await listening(child);
      await new Promise((r) => server.close(r)); // only the child accepts from now on
      const c = await FcgiClient.connect(`127.0.0.1:${port}`);
      expect((await c.request(1, cgiParams("/"))).status).toBe("200 OK");
      c.close();
    });

    test("tsgi run with neither a listening socket nor GATEWAY_INTERFACE exits 2 with a hint", async () => {
      const child = tsgi(["run", "examples/hello.mjs"], "pipe");
      expect(await exited(child)).toBe(2);
      expect(child.stderrText()).toMatch(/tsgi fcgi APP --listen/);
    });

    test("tsgi fcgi on a live Unix socket refuses and exits non-zero", async () => {
      const path = `/tmp/tsgi-live-${process.pid}-${Date.now()}.sock`;
      const other = createServer();
      await new Promise<void>((r) => other.listen(path, r));
      try {
        const child = tsgi(["fcgi", "examples/hello.mjs", "--listen", path]);
        expect(await exited(child)).toBe(1);
        expect(child.stderrText()).toMatch(/cannot listen on .*in use/);
      } finally {
        await new Promise((r) => other.close(r));
      }
    });
  },
);
