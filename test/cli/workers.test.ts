/**
 * `tsgi fcgi APP --workers N` and `tsgi run APP --workers N` through the built CLI: serving from
 * several processes, the one-line boot failure, signals, systemd's LISTEN_FDS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { cgiParams, FcgiClient } from "../helpers/fastcgi-client.js";
import { describeIntegration, freePort, need, tempDirs, waitFor } from "../helpers/integration.js";
import { childPids } from "../helpers/tsgi-workers.js";

const MAIN = "dist/cli/main.js";
const children: ChildProcess[] = [];
const dirs = tempDirs("tsgi-workers-cli-");
afterEach(() => {
  for (const child of children.splice(0)) if (child.pid) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  for (const pid of childPids(child.pid ?? 0)) process.kill(pid, "SIGKILL");
  child.kill("SIGKILL");
}

function tsgi(args: string[], stdin: "ignore" | number = "ignore") {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: [stdin, "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return Object.assign(child, { stderrText: () => stderr, exit });
}

type Tsgi = ReturnType<typeof tsgi>;

function listening(child: Tsgi): Promise<void> {
  return waitFor(
    () => {
      if (child.exitCode !== null)
        throw new Error(`exited ${child.exitCode}: ${child.stderrText()}`);
      return /tsgi: FastCGI on .*\(master pid \d+, \d+ workers\)\n/.test(child.stderrText());
    },
    60_000,
    "the workers",
  );
}

/** An app in a temp dir: answers its pid, or /crash throws in a timer, or it fails to load. */
function appFile(code?: string): string {
  const dir = dirs.make();
  const path = join(dir, "app.mjs");
  writeFileSync(
    path,
    code ??
      `export default async (environ, start) => {
  if (environ.PATH_INFO === "/crash") setTimeout(() => { throw new Error("boom in a timer"); });
  if (environ.PATH_INFO === "/slow") await new Promise((r) => setTimeout(r, 1500));
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [new TextEncoder().encode(String(process.pid))];
};\n`,
  );
  return path;
}

async function pidOf(address: string, path = "/"): Promise<string> {
  const c = await FcgiClient.connect(address);
  try {
    return (await c.request(1, cgiParams(path))).body.toString();
  } finally {
    c.close();
  }
}

describeIntegration(
  "tsgi --workers (built CLI)",
  [need("dist/cli/main.js (npm run build)", existsSync(MAIN))],
  () => {
    test("serves from N processes, none of them the master; SIGTTIN/SIGTTOU add and remove one; SIGTERM exits 0", async () => {
      const port = await freePort();
      const child = tsgi(["fcgi", appFile(), "--listen", `127.0.0.1:${port}`, "--workers", "2"]);
      await listening(child);
      const pids = new Set<string>();
      for (let i = 0; i < 6; i++) pids.add(await pidOf(`127.0.0.1:${port}`));
      expect(pids.size).toBe(2);
      expect(pids.has(String(child.pid))).toBe(false);
      child.kill("SIGTTIN");
      await waitFor(() => childPids(child.pid ?? 0).length === 3, 30_000, "a third worker");
      child.kill("SIGTTOU");
      await waitFor(() => childPids(child.pid ?? 0).length === 2, 30_000, "back to two workers");
      child.kill("SIGUSR1"); // reopen logs; without a handler it would open the inspector
      await new Promise((r) => setTimeout(r, 200));
      expect(child.exitCode).toBe(null);
      child.kill("SIGTERM");
      expect(await child.exit).toBe(0);
    }, 90_000);

    test("SIGTERM: requests in flight in every worker finish, then the master exits 0", async () => {
      const port = await freePort();
      const child = tsgi(["fcgi", appFile(), "--listen", `127.0.0.1:${port}`, "--workers", "2"]);
      await listening(child);
      const answers = [pidOf(`127.0.0.1:${port}`, "/slow"), pidOf(`127.0.0.1:${port}`, "/slow")];
      await new Promise((r) => setTimeout(r, 500));
      child.kill("SIGTERM");
      const pids = await Promise.all(answers);
      expect(new Set(pids).size).toBe(2); // one in each worker
      expect(await child.exit).toBe(0);
    }, 60_000);

    test("--max-rss: a worker past the limit is replaced, one at a time, and serving goes on", async () => {
      const port = await freePort();
      const child = tsgi([
        "fcgi",
        appFile(),
        "--listen",
        `127.0.0.1:${port}`,
        "--workers",
        "1",
        "--max-rss",
        "1",
      ]);
      await listening(child);
      const first = await pidOf(`127.0.0.1:${port}`);
      await waitFor(() => /drained/.test(child.stderrText()), 30_000, "a recycle");
      expect(child.stderrText()).toMatch(/RSS \d+ MiB over --max-rss 1; replacing it/);
      expect(await pidOf(`127.0.0.1:${port}`)).not.toBe(first);
      expect(childPids(child.pid ?? 0).length).toBeLessThanOrEqual(2); // the old one and its replacement at most
    }, 60_000);

    test("an app that cannot load: exit 1 with the app's error in one line", async () => {
      const child = tsgi([
        "fcgi",
        appFile(`throw new Error("no database configured");\n`),
        "--listen",
        `127.0.0.1:${await freePort()}`,
        "--workers",
        "2",
      ]);
      expect(await child.exit).toBe(1);
      const lines = child.stderrText().trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^tsgi: cannot load .*app\.mjs: .*no database configured$/);
    }, 60_000);

    test("an uncaught exception in a worker is logged with its stack and the worker replaced", async () => {
      const port = await freePort();
      const child = tsgi(["fcgi", appFile(), "--listen", `127.0.0.1:${port}`, "--workers", "1"]);
      await listening(child);
      const before = await pidOf(`127.0.0.1:${port}`, "/crash");
      await waitFor(() => /drained/.test(child.stderrText()), 30_000, "the worker to leave");
      expect(child.stderrText()).toMatch(/uncaught exception: Error: boom in a timer\n\s+at /);
      const after = await pidOf(`127.0.0.1:${port}`);
      expect(after).not.toBe(before);
    }, 60_000);

    test.each([["least-busy"], ["kernel"]])(
      "tsgi run --workers 2 --balance %s on an inherited fd 0",
      async (balance) => {
        const server: Server = createServer();
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        const port = (server.address() as { port: number }).port;
        const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
        const child = tsgi(["run", appFile(), "--workers", "2", "--balance", balance], fd);
        await listening(child);
        await new Promise((r) => server.close(r));
        const pid = await pidOf(`127.0.0.1:${port}`);
        expect(childPids(child.pid ?? 0)).toContain(Number(pid));
        child.kill("SIGINT");
        expect(await child.exit).toBe(0);
      },
      60_000,
    );
  },
);
