/**
 * Timeouts, the slow log, the status page and the access log of `tsgi fcgi --workers 2` behind
 * a real nginx (issue 10 §3, §4, §5): app traffic over an upstream with keep-alive and
 * fastcgi_keep_conn on, the status and ping pages over plain connections (each one reaches the
 * master, which answers them itself).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CLI, cliBuilt, fetchReply, ROOT } from "../fixtures/fastcgi/harness.js";
import { cgiParams, FcgiClient } from "../helpers/fastcgi-client.js";
import { describeIntegration, need, tempDir, waitFor } from "../helpers/integration.js";
import { runLoad } from "../helpers/load.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import type { ServerHandle } from "../helpers/server-process.js";

const APP = join(ROOT, "test/fixtures/ops/app.mjs");
const PARAMS = join(ROOT, "nginx/tsgi_params");

function site(socket: string): string {
  return `
upstream tsgi_app {
    server unix:${socket};
    keepalive 8;
}
server {
    listen 127.0.0.1:{{PORT}};
    location = /tsgi-status {
        allow 127.0.0.1;
        deny all;
        fastcgi_split_path_info (?s)^()(/.*)$;
        include ${PARAMS};
        fastcgi_pass unix:${socket};
    }
    location = /tsgi-ping {
        fastcgi_split_path_info (?s)^()(/.*)$;
        include ${PARAMS};
        fastcgi_pass unix:${socket};
    }
    location / {
        fastcgi_split_path_info (?s)^()(/.*)$;
        include ${PARAMS};
        fastcgi_pass tsgi_app;
        fastcgi_keep_conn on;
        fastcgi_read_timeout 30s;
    }
}`;
}

function read(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

const okBody = (status: number, body: Buffer) =>
  status === 200 && /^ok \d+\n$/.test(body.toString())
    ? null
    : `body ${JSON.stringify(body.toString())}`;

describeIntegration(
  "tsgi fcgi --workers 2: timeouts, slow log, status page and access log behind nginx",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    const s = {} as {
      nginx: ServerHandle;
      tsgi: ChildProcess;
      stderr: () => string;
      dir: { path: string; remove: () => void };
      accessLog: string;
      slowLog: string;
      socket: string;
    };

    beforeAll(async () => {
      s.dir = tempDir("tsgi-ops-nginx-");
      const socket = join(s.dir.path, "tsgi.sock");
      s.socket = socket;
      s.accessLog = join(s.dir.path, "access.log");
      s.slowLog = join(s.dir.path, "slow.log");
      s.tsgi = spawn(
        process.execPath,
        [
          CLI,
          "fcgi",
          APP,
          "--listen",
          socket,
          "--workers",
          "2",
          "--request-timeout",
          "2",
          "--worker-timeout",
          "4",
          "--slow-log",
          "1",
          "--slow-log-file",
          s.slowLog,
          "--status-path",
          "/tsgi-status",
          "--ping-path",
          "/tsgi-ping",
          "--access-log",
          s.accessLog,
        ],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      s.tsgi.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
      s.stderr = () => stderr;
      await waitFor(() => stderr.includes("tsgi: FastCGI on"), 30_000, "tsgi with 2 workers");
      s.nginx = await startNginx(site(socket));
    }, 60_000);

    afterAll(async () => {
      await s.nginx?.stop();
      if (s.tsgi && s.tsgi.exitCode === null) {
        const exited = new Promise((r) => s.tsgi.once("exit", r));
        s.tsgi.kill("SIGTERM");
        await exited;
      }
      s.dir?.remove();
    }, 30_000);

    // biome-ignore lint/suspicious/noExplicitAny: the page's JSON, checked field by field
    async function status(query = "json&full"): Promise<Record<string, any>> {
      const reply = await fetchReply(s.nginx.port, `/tsgi-status?${query}`);
      expect(reply.status).toBe(200);
      return JSON.parse(reply.body.toString());
    }

    test("status counts agree with the load; one access-log line per request from both workers", async () => {
      const result = await runLoad({
        port: s.nginx.port,
        connections: 8,
        requests: 400,
        deadlineMs: 60_000,
        request: () => ({ path: "/", check: okBody }),
      });
      expect(result.failures).toEqual([]);
      expect(result.ok).toBe(400);
      const pids = new Set([...result.bodies.keys()].map((body) => body.split(" ")[1]));
      expect(pids.size).toBe(2);
      // Workers report with each heartbeat: the counts settle within one.
      await waitFor(
        async () => (await status())["accepted conn"] === 400,
        10_000,
        "accepted conn 400",
      );
      const page = await status();
      expect(page["total processes"]).toBe(2);
      expect(page.processes.map((p: { pid: number }) => String(p.pid)).sort()).toEqual(
        [...pids].sort(),
      );
      expect(page.processes.reduce((n: number, p: { requests: number }) => n + p.requests, 0)).toBe(
        400,
      );
      await waitFor(
        () => read(s.accessLog).split("\n").filter(Boolean).length === 400,
        10_000,
        "400 lines",
      );
      expect(read(s.accessLog)).toMatch(
        /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/ HTTP\/1\.1" 200 \d+ "-" "-"\n/,
      );
      const metrics = await fetchReply(s.nginx.port, "/tsgi-status?openmetrics&full");
      expect(metrics.headers["content-type"]).toMatch(/^application\/openmetrics-text/);
      expect(metrics.body.toString()).toMatch(
        /^phpfpm_accepted_connections_total\{pool="tsgi"\} 400$/m,
      );
      expect(metrics.body.toString().endsWith("# EOF\n")).toBe(true);
      expect((await fetchReply(s.nginx.port, "/tsgi-ping")).body.toString()).toBe("pong\n");
      expect(s.nginx.errorLog?.() ?? "").not.toMatch(/upstream/);
    }, 90_000);

    test("a status request on a connection a worker holds is answered with the master's page", async () => {
      const c = await FcgiClient.connect(s.socket);
      try {
        // The first request makes the master hand the connection to a worker ...
        const app = await c.request(1, cgiParams("/", { REQUEST_URI: "/" }), { keepConn: true });
        expect(app.body.toString()).toMatch(/^ok \d+\n$/);
        // ... which forwards the next one, a status request, to the master over IPC.
        const page = await c.request(2, cgiParams("/tsgi-status", { QUERY_STRING: "json&full" }), {
          keepConn: true,
        });
        const json = JSON.parse(page.body.toString());
        expect(json["total processes"]).toBe(2);
        expect(json.processes).toHaveLength(2);
      } finally {
        c.close();
      }
    }, 30_000);

    test("SIGUSR1 reopens the access log after logrotate renamed it", async () => {
      renameSync(s.accessLog, `${s.accessLog}.1`);
      s.tsgi.kill("SIGUSR1");
      await new Promise((r) => setTimeout(r, 500));
      const result = await runLoad({
        port: s.nginx.port,
        connections: 4,
        requests: 20,
        deadlineMs: 30_000,
      });
      expect(result.failures).toEqual([]);
      await waitFor(
        () => read(s.accessLog).split("\n").filter(Boolean).length === 20,
        10_000,
        "20 new lines",
      );
      // 400 from the load, 1 from the status-forwarding test.
      expect(read(`${s.accessLog}.1`).split("\n").filter(Boolean)).toHaveLength(401);
    }, 60_000);

    test("a never-ending request gets 504 after --request-timeout; other traffic has zero failed", async () => {
      const load = runLoad({
        port: s.nginx.port,
        connections: 4,
        requests: 300,
        deadlineMs: 60_000,
        request: () => ({ path: "/", check: okBody }),
      });
      const started = Date.now();
      const never = await fetchReply(s.nginx.port, "/never");
      expect(never.status).toBe(504);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      const result = await load;
      expect(result.failures).toEqual([]);
    }, 90_000);

    test("a blocked worker: the slow log names spinForever, the status page answers, the worker is replaced", async () => {
      const before = await status();
      // A POST: nginx would retry a GET that failed on a cached connection, and spin the next worker.
      const spin = fetchReply(s.nginx.port, "/spin", { method: "POST" }).catch(() => null);
      await waitFor(
        () => read(s.slowLog).includes("at spinForever"),
        15_000,
        "the stack in the slow log",
      );
      expect(read(s.slowLog)).toMatch(
        /slow request: pid \d+, POST \/spin \(running [\d.]+ s\), event loop blocked for [\d.]+ s\n {4}at spinForever \(file:\/\/.*ops\/app\.mjs:\d+:\d+\)/,
      );
      // Every status request is a new connection: the master answers it, blocked worker or not.
      await waitFor(
        async () =>
          (await status()).processes.some((p: { state: string }) => p.state === "Blocked"),
        10_000,
        "a Blocked worker on the status page",
      );
      await waitFor(
        () => /no heartbeat for [\d.]+ s \(--worker-timeout 4 s\)/.test(s.stderr()),
        15_000,
        "the kill",
      );
      await spin;
      let last: Record<string, unknown> = {};
      await waitFor(
        async () => {
          last = await status();
          return last.respawns === before.respawns + 1 && last["idle processes"] === 2;
        },
        20_000,
        "a replacement worker",
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(last)}\n${s.stderr()}`);
      });
      const result = await runLoad({
        port: s.nginx.port,
        connections: 4,
        requests: 100,
        deadlineMs: 30_000,
        request: () => ({ path: "/", check: okBody }),
      });
      expect(result.failures).toEqual([]);
      expect((await status())["slow requests"]).toBeGreaterThanOrEqual(1);
    }, 90_000);
  },
);
