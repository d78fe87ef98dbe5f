import { fstatSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { systemdListenFd } from "../../frontends/fastcgi/listen-fds.js";
import { createFastCgiServer, DEFAULT_SHUTDOWN_GRACE_MS } from "../../frontends/fastcgi/server.js";
import { adapterOption } from "../adapter-option.js";
import { loadApp } from "../load-app.js";
import type { LogFile } from "../log-file.js";
import { type OpsFlags, opsServerOptions } from "../ops-options.js";
import { SystemdNotifier } from "../systemd.js";
import type { FcgiFlags } from "./fcgi.js";
import type { WorkerFlags } from "./workers.js";

/**
 * `tsgi run APP`: the backend picks its protocol from how it was started (design §2). This
 * module stays free of commander at run time: main.ts calls runRunCommand directly, and a CGI
 * process must start fast.
 */
export async function runRunCommand(spec: string, flags: FcgiFlags = {}): Promise<void> {
  // A worker of `tsgi run APP --workers N` has no socket on fd 0: its master does.
  const mode = flags.workers && process.env.TSGI_WORKER ? "fastcgi" : detectMode();
  if (mode === "fastcgi") {
    await serveFastCgi(spec, undefined, opsServerOptions(flags), graceOf(flags), flags);
  } else if (mode === "cgi") {
    const cgi = await import("./cgi.js");
    await cgi.runCgiCommand(spec, flags.adapter);
  } else {
    process.stderr.write(
      "tsgi run: neither a FastCGI listening socket on fd 0 nor GATEWAY_INTERFACE (CGI) in the environment; for a TCP or Unix socket use `tsgi fcgi APP --listen ADDR`\n",
    );
    process.exitCode = 2;
  }
}

/** `--graceful-timeout`, or its alias `--shutdown-timeout` (issue 10 §2). */
export function graceOf(flags: FcgiFlags): number | undefined {
  return flags.gracefulTimeout ?? flags.shutdownTimeout;
}

/**
 * FastCGI 1.0 §2.2: a FastCGI backend inherits a listening socket as fd 0 (spawn-fcgi,
 * mod_fcgid, lighttpd). RFC 3875 §4.1.4: a CGI server sets GATEWAY_INTERFACE. A connected
 * socket on fd 0 is not FastCGI's (Node's spawn gives children socketpairs as stdin), so a
 * socket counts only when it is listening, or when we cannot tell.
 */
export function detectMode(): "fastcgi" | "cgi" | null {
  if (hasSystemdSocket() || (isSocket(0) && isListening(0) !== false)) return "fastcgi";
  return process.env.GATEWAY_INTERFACE ? "cgi" : null;
}

function hasSystemdSocket(): boolean {
  return Number(process.env.LISTEN_FDS) > 0 && Number(process.env.LISTEN_PID) === process.pid;
}

/** Without --listen: systemd's socket (LISTEN_FDS, fd 3), else fd 0 (FastCGI 1.0 §2.2). */
export function defaultAddress(): { fd: number } {
  return { fd: systemdListenFd() ?? 0 };
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}

// Linux: a socket's inode appears in /proc/net/{unix,tcp,tcp6} with its state. undefined
// when we cannot tell.
function isListening(fd: number): boolean | undefined {
  let inode: string;
  try {
    inode = String(fstatSync(fd).ino);
  } catch {
    return undefined;
  }
  // /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path; __SO_ACCEPTCON = 0x10000
  const unix = procTable("/proc/net/unix", 6, inode);
  if (unix) return (Number.parseInt(unix[3], 16) & 0x10000) !== 0;
  // /proc/net/tcp{,6}: sl local rem st ... inode (column 9); st 0A is TCP_LISTEN
  const tcp = procTable("/proc/net/tcp", 9, inode) ?? procTable("/proc/net/tcp6", 9, inode);
  if (tcp) return tcp[3] === "0A";
  return undefined;
}

function procTable(file: string, inodeColumn: number, inode: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, "latin1");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[inodeColumn] === inode) return fields;
  }
  return undefined;
}

/**
 * Loads APP, serves it over FastCGI on `address` until SIGTERM/SIGINT, and prints
 * `tsgi: FastCGI on ADDR` once listening. A listen failure (a live socket, a port in use) is one
 * line on stderr and exit code 1. The first signal stops accepting and lets the requests in
 * flight finish (up to `graceMs`), so a restart behind nginx cuts no response short; a second
 * signal aborts them. Either way the process exits 0. Under systemd (NOTIFY_SOCKET) it reports
 * READY=1 once listening and STOPPING=1 on the first signal; SIGUSR1 reopens the access log.
 */
export async function serveFastCgi(
  spec: string,
  address: string | { fd: number } | undefined,
  options: FastCgiOptions,
  graceMs = DEFAULT_SHUTDOWN_GRACE_MS,
  flags: WorkerFlags & OpsFlags = {},
): Promise<void> {
  if (flags.workers) {
    const { serveWithWorkers } = await import("./workers.js");
    const { workerModeHooks } = await import("../worker-ops.js");
    const hooks = workerModeHooks(options, flags);
    return serveWithWorkers(
      spec,
      address ?? defaultAddress(),
      hooks.options,
      graceMs,
      flags,
      hooks,
    );
  }
  address ??= defaultAddress();
  // Without a handler SIGUSR1 opens the inspector on 127.0.0.1:9229: install one first.
  const reopen: Array<() => void> = [];
  process.on("SIGUSR1", () => {
    for (const again of reopen) again();
  });
  let app = await loadApp(spec, undefined, flags.adapter);
  let accessLogFile: LogFile | null = null;
  if (flags.accessLog) {
    const { withAccessLog } = await import("../access-log-file.js");
    const logged = withAccessLog(app, flags.accessLog, flags.accessLogFormat);
    app = logged.app;
    accessLogFile = logged.file;
    reopen.push(() => logged.file.reopen());
  }
  const server = createFastCgiServer(app, options);
  try {
    await server.listen(address);
  } catch (error) {
    const where = typeof address === "string" ? address : `fd ${address.fd}`;
    process.stderr.write(
      `tsgi: cannot listen on ${where}: ${error instanceof Error ? error.message : error}\n`,
    );
    process.exitCode = 1;
    await server.close().catch(() => {});
    return;
  }
  process.stderr.write(`tsgi: FastCGI on ${server.address()}\n`);
  const systemd = new SystemdNotifier();
  void systemd.ready(`serving on ${server.address()}`);
  const exit = (closed: Promise<void>) =>
    closed
      .then(() => accessLogFile?.close())
      .then(() => systemd.settled())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  const now = () => {
    process.off("SIGINT", now);
    process.off("SIGTERM", now);
    exit(server.close());
  };
  const graceful = () => {
    process.off("SIGINT", graceful);
    process.off("SIGTERM", graceful);
    process.on("SIGINT", now);
    process.on("SIGTERM", now);
    void systemd.stopping();
    exit(server.shutdown(graceMs));
  };
  process.on("SIGINT", graceful);
  process.on("SIGTERM", graceful);
}

/** `addOptions` adds the `--workers` flags (fcgi.ts): commander stays out of the CGI path. */
export function register(program: Command, addOptions: (command: Command) => Command): void {
  const command = program
    .command("run")
    .description(
      "run APP as its starter expects: FastCGI on a listening socket on fd 0, else CGI (GATEWAY_INTERFACE)",
    )
    .argument("<APP>", "app module path, optionally path:exportName")
    .addOption(adapterOption(program));
  addOptions(command).action(runRunCommand);
}
