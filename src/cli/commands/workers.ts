import type { Application } from "../../core/types.js";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import type { FastCgiOptions } from "../../frontends/fastcgi/limits.js";
import { systemdListenFd } from "../../frontends/fastcgi/listen-fds.js";
import { Master } from "../../frontends/fastcgi/workers/master.js";
import type { Balance } from "../../frontends/fastcgi/workers/options.js";
import { guardSigusr1, installMasterSignals } from "../../frontends/fastcgi/workers/signals.js";
import { isWorkerProcess } from "../../frontends/fastcgi/workers/spawn.js";
import { runWorker } from "../../frontends/fastcgi/workers/worker.js";
import { loadApp } from "../load-app.js";

/** The flags of `--workers N` mode (`tsgi fcgi` and `tsgi run`). */
export interface WorkerFlags {
  workers?: number;
  balance?: Balance;
  maxRequests?: number;
  maxRequestsJitter?: number;
  maxRss?: number;
  workerTimeout?: number;
  /** `--adapter`: each worker loads the app itself. */
  adapter?: AppKind;
}

/** What the operator's features add to `--workers` mode (cli/worker-ops.ts). */
export interface WorkerModeHooks {
  /** In a worker: wraps the loaded app (the access log). */
  wrapApp?: (app: Application) => Application;
  /** In the master, once made: registers its messages and events. */
  master?: (master: Master) => void;
  /** In the master, once every worker is ready. */
  ready?: (master: Master) => void;
  /** In the master, after it stopped and before the process exits (STOPPING=1 must leave). */
  beforeExit?: () => Promise<void>;
}

/**
 * `--workers N`: in the process started by the user, a master that binds or inherits the socket
 * and never loads the app; in the processes it forks (TSGI_WORKER set), a worker.
 */
export async function serveWithWorkers(
  spec: string,
  address: string | { fd: number } | undefined,
  options: FastCgiOptions,
  graceMs: number,
  flags: WorkerFlags,
  hooks: WorkerModeHooks = {},
): Promise<void> {
  guardSigusr1();
  const wrap = hooks.wrapApp ?? ((app: Application) => app);
  if (isWorkerProcess())
    return runWorker(async () => wrap(await loadApp(spec, undefined, flags.adapter)), options);
  const master = new Master({
    workers: flags.workers ?? 1,
    balance: flags.balance ?? "least-busy",
    graceMs,
    maxRequests: flags.maxRequests,
    maxRequestsJitter: flags.maxRequestsJitter,
    maxRssMb: flags.maxRss,
    workerTimeoutMs: flags.workerTimeout,
    socketMode: options.socketMode,
  });
  hooks.master?.(master);
  installMasterSignals(master);
  master.on("stopped", () => {
    const settled = hooks.beforeExit?.() ?? Promise.resolve();
    settled.then(() => process.exit(process.exitCode ?? 0));
  });
  const where = address ?? { fd: systemdListenFd() ?? 0 };
  try {
    await master.listen(where);
  } catch (error) {
    const at = typeof where === "string" ? where : `fd ${where.fd}`;
    process.stderr.write(`tsgi: cannot listen on ${at}: ${describe(error)}\n`);
    process.exit(1);
  }
  try {
    await master.run();
  } catch (error) {
    process.stderr.write(`tsgi: cannot load ${spec}: ${describe(error)}\n`);
    process.exitCode = 1;
    master.stop(false);
    return;
  }
  hooks.ready?.(master);
  process.stderr.write(
    `tsgi: FastCGI on ${master.address()} (master pid ${process.pid}, ${master.target} workers)\n`,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
