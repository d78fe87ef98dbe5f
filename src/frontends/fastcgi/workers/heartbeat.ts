import type { Master } from "./master.js";
import type { WorkerInfo } from "./worker-info.js";

/** How often a worker sends its heartbeat: often enough for `--worker-timeout`, at most 1 s. */
export function heartbeatInterval(workerTimeoutMs: number | undefined): number {
  if (!workerTimeoutMs) return 1000;
  return Math.max(50, Math.min(1000, Math.floor(workerTimeoutMs / 4)));
}

/**
 * `--worker-timeout` (issue 10 §3): the workers whose last heartbeat, sent from their event
 * loop, is older than `timeoutMs`: a loop blocked that long (a synchronous infinite loop).
 * A worker still loading its app has not started its heartbeat and is not judged.
 */
export function stalledWorkers(
  workers: Iterable<WorkerInfo>,
  timeoutMs: number,
  now = Date.now(),
): WorkerInfo[] {
  const stalled: WorkerInfo[] = [];
  for (const worker of workers) {
    if (worker.state === "starting" || worker.extra.killed) continue;
    if (now - worker.heartbeatAt > timeoutMs) stalled.push(worker);
  }
  return stalled;
}

/**
 * `--worker-timeout`: every heartbeat interval, a worker whose loop has been blocked for
 * `timeoutMs` is killed (SIGKILL: a blocked loop runs no signal handler) and, as any dead
 * worker, replaced; the others are untouched. "worker-timeout" is emitted first, and the
 * `master.beforeTimeoutKill` hooks (the slow log's stack capture) get up to KILL_HOOK_MS.
 */
export function watchHeartbeats(master: Master, timeoutMs: number): NodeJS.Timeout {
  const timer = setInterval(() => {
    for (const worker of stalledWorkers(master.workers.values(), timeoutMs)) {
      worker.extra.killed = true;
      const age = ((Date.now() - worker.heartbeatAt) / 1000).toFixed(1);
      master.log(
        `tsgi: worker ${worker.id} (pid ${worker.pid}): no heartbeat for ${age} s (--worker-timeout ${timeoutMs / 1000} s): its event loop is blocked; killing it`,
      );
      master.emit("worker-timeout", worker);
      void beforeKill(master, worker).then(() => worker.child.kill("SIGKILL"));
    }
  }, heartbeatInterval(timeoutMs));
  timer.unref();
  return timer;
}

/** How long the hooks of a blocked worker may take before it is killed anyway. */
export const KILL_HOOK_MS = 2000;

function beforeKill(master: Master, worker: WorkerInfo): Promise<void> {
  if (master.beforeTimeoutKill.length === 0) return Promise.resolve();
  const hooks = master.beforeTimeoutKill.map((hook) => Promise.resolve().then(() => hook(worker)));
  const cap = new Promise<void>((resolve) => setTimeout(resolve, KILL_HOOK_MS).unref());
  return Promise.race([Promise.allSettled(hooks).then(() => {}), cap]);
}
