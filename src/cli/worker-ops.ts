import type { Application } from "../core/types.js";
import type { FastCgiOptions } from "../frontends/fastcgi/limits.js";
import type { Master } from "../frontends/fastcgi/workers/master.js";
import { attachMasterOperations } from "../frontends/fastcgi/workers/ops-master.js";
import { accessLogToMaster } from "../frontends/fastcgi/workers/ops-worker.js";
import { onReopenLogs } from "../frontends/fastcgi/workers/signals.js";
import { accessLog } from "../middleware/access-log.js";
import type { WorkerModeHooks } from "./commands/workers.js";
import { LogFile } from "./log-file.js";
import type { OpsFlags } from "./ops-options.js";
import { SystemdNotifier } from "./systemd.js";

/**
 * The operator's features in `--workers` mode (issue 10 §3, §4): the master answers the status
 * and ping pages and holds the one access-log file (workers send it their lines), a worker's
 * watchdog reports a blocked loop's stack at half of --worker-timeout (before the master kills
 * it), and systemd hears READY=1 once all N workers are ready, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1.
 */
export function workerModeHooks(
  options: FastCgiOptions,
  flags: OpsFlags & { workerTimeout?: number; workers?: number },
): WorkerModeHooks & { options: FastCgiOptions } {
  const blockLogMs = flags.workerTimeout
    ? Math.max(1, Math.floor(flags.workerTimeout / 2))
    : undefined;
  const format = flags.accessLogFormat ?? "combined";
  const systemd = new SystemdNotifier();
  return {
    options: { ...options, blockLogMs },
    wrapApp: flags.accessLog
      ? (app: Application) => accessLog(app, { format, write: accessLogToMaster() })
      : undefined,
    master: (master: Master) => {
      const file = flags.accessLog ? new LogFile(flags.accessLog) : null;
      if (file) onReopenLogs(() => file.reopen());
      attachMasterOperations(master, {
        statusPath: flags.statusPath,
        pingPath: flags.pingPath,
        accessLog: file ? (lines) => file.write(lines) : undefined,
      });
      master.on("reload", (reload: { ok: boolean | null; generation: number }) => {
        if (reload.ok === null) void systemd.reloading();
        else
          void systemd.ready(
            `generation ${reload.generation}: reload ${reload.ok ? "done" : "failed"}`,
          );
      });
      master.on("stopping", () => void systemd.stopping());
    },
    ready: (master: Master) => void systemd.ready(`${master.target} workers ready`),
    beforeExit: () => systemd.settled(),
  };
}
