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
