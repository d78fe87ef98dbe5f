import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { systemdListenFd } from "../../frontends/fastcgi/listen-fds.js";
import { createFastCgiServer, DEFAULT_SHUTDOWN_GRACE_MS } from "../../frontends/fastcgi/server.js";
import { onReopenLogs, reopenLogs } from "../../frontends/fastcgi/workers/signals.js";
import { loadApp } from "../load-app.js";
import type { LogFile } from "../log-file.js";
import type { OpsFlags } from "../ops-options.js";
import { SystemdNotifier } from "../systemd.js";
import type { FcgiFlags } from "./fcgi.js";
import type { WorkerFlags } from "./workers.js";

// The FastCGI server of `tsgi fcgi` and of `tsgi run` on a socket. Apart from run.ts so that
// `tsgi run` under CGI, which starts a process per request, loads none of it.

/** `--graceful-timeout`, or its alias `--shutdown-timeout` (issue 10 §2). */
export function graceOf(flags: FcgiFlags): number | undefined {
  return flags.gracefulTimeout ?? flags.shutdownTimeout;
}

/** Without --listen: systemd's socket (LISTEN_FDS, fd 3), else fd 0 (FastCGI 1.0 §2.2). */
function defaultAddress(): { fd: number } {
  return { fd: systemdListenFd() ?? 0 };
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
  process.on("SIGUSR1", () => reopenLogs((line) => process.stderr.write(`${line}\n`)));
  let app = await loadApp(spec, undefined, flags.adapter);
  let accessLogFile: LogFile | null = null;
  if (flags.accessLog) {
    const { withAccessLog } = await import("../access-log-file.js");
    const logged = withAccessLog(app, flags.accessLog, flags.accessLogFormat);
    app = logged.app;
    accessLogFile = logged.file;
    onReopenLogs(() => logged.file.reopen());
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
