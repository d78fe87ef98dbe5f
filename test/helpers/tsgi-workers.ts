/**
 * `tsgi fcgi APP --workers N` behind a real nginx, for the workers' integration tests: the
 * app written to a temp dir (and rewritten, to change the code on disk before a SIGHUP), the
 * master started on a Unix socket, nginx in front with or without upstream keep-alive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLI } from "../fixtures/fastcgi/harness.js";
import { tempDir, waitFor } from "./integration.js";
import { startNginx } from "./nginx.js";
import type { ServerHandle } from "./server-process.js";

const TEMPLATE = join(import.meta.dirname, "../fixtures/workers/app-template.mjs");

export interface WorkersSite {
  master: ChildProcess;
  nginx: ServerHandle;
  dir: string;
  /** The master's (and its workers') stderr so far. */
  log(): string;
  /** How many times `pattern` occurs in the log. */
  count(pattern: RegExp): number;
  /** Waits until `pattern` occurs `times` times in the log. */
  waitForLog(pattern: RegExp, times?: number, ms?: number): Promise<void>;
  /** Rewrites the app on disk: `version`, or code that throws when loaded. */
  writeApp(version: string, broken?: boolean): void;
  /** The workers' pids (children of the master), from /proc. */
  workerPids(): number[];
  stop(): Promise<void>;
}

export interface SiteOptions {
  args?: string[];
  /** Upstream keepalive + fastcgi_keep_conn on (default true). */
  keepAlive?: boolean;
  version?: string;
}

export async function startWorkersSite(options: SiteOptions = {}): Promise<WorkersSite> {
  const temp = tempDir("tsgi-workers-");
  const dir = temp.path;
  const appPath = join(dir, "app.mjs");
  const writeApp = (version: string, broken = false) => {
    const code = readFileSync(TEMPLATE, "utf8").replace("__VERSION__", version);
    writeFileSync(appPath, broken ? `throw new Error("broken ${version}");\n${code}` : code);
  };
  writeApp(options.version ?? "v0");
  const socket = join(dir, "tsgi.sock");
  const master = spawn(
    process.execPath,
    [CLI, "fcgi", appPath, "--listen", socket, ...(options.args ?? ["--workers", "2"])],
    { stdio: ["ignore", "ignore", "pipe"], cwd: dir },
  );
  let log = "";
  master.stderr?.setEncoding("utf8");
  master.stderr?.on("data", (text: string) => (log += text));
  const exited = new Promise<void>((done) => master.once("exit", () => done()));
  const count = (pattern: RegExp) => log.match(new RegExp(pattern.source, "g"))?.length ?? 0;
  try {
    await waitFor(
      () => {
        if (master.exitCode !== null) throw new Error(`tsgi exited ${master.exitCode}:\n${log}`);
        return log.includes("tsgi: FastCGI on ");
      },
      60_000,
      "the workers to be ready",
    );
  } catch (error) {
    master.kill("SIGKILL");
    throw error;
  }
  const nginx = await startNginx(siteConfig(socket, options.keepAlive ?? true));
  return {
    master,
    nginx,
    dir,
    log: () => log,
    count,
    waitForLog: (pattern, times = 1, ms = 60_000) =>
      waitFor(() => count(pattern) >= times, ms, `${times} x ${pattern} in the log:\n${log}`),
    writeApp,
    workerPids: () => childPids(master.pid ?? 0),
    async stop() {
      await nginx.stop();
      if (master.exitCode === null) master.kill("SIGTERM");
      const timer = setTimeout(() => master.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      temp.remove();
    },
  };
}

function siteConfig(socket: string, keepAlive: boolean): string {
  const upstream = keepAlive
    ? `upstream tsgi { server unix:${socket}; keepalive 16; }`
    : `upstream tsgi { server unix:${socket}; }`;
  return `
    ${upstream}
    server {
        listen 127.0.0.1:{{PORT}};
        client_max_body_size 16m;
        location / {
            fastcgi_split_path_info (?s)^()(/.*)$;
            include fastcgi_params;
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            ${keepAlive ? "fastcgi_keep_conn on;" : ""}
            fastcgi_pass tsgi;
        }
    }`;
}

/** The pids whose parent is `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
    return text.trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
