import type { WorkerInfo } from "./worker-info.js";

/**
 * The worker a new connection goes to (issue 10 §1): a ready one with the fewest requests in
 * flight, then the fewest connections (nginx keeps a few long-lived ones, so balance is per
 * connection), then the one that got a connection least recently. A worker whose heartbeat is
 * older than `staleBefore` (its loop may be blocked) gets one only when no other is ready.
 * Null when none is ready.
 */
export function pickWorker(
  workers: Iterable<WorkerInfo>,
  lastSent: ReadonlyMap<number, number> = new Map(),
  staleBefore = Number.NEGATIVE_INFINITY,
): WorkerInfo | null {
  let best: WorkerInfo | null = null;
  let bestStale = true;
  for (const worker of workers) {
    if (worker.state !== "ready") continue;
    const stale = worker.heartbeatAt < staleBefore;
    if (
      best === null ||
      (bestStale && !stale) ||
      (stale === bestStale && better(worker, best, lastSent))
    ) {
      best = worker;
      bestStale = stale;
    }
  }
  return best;
}

function better(a: WorkerInfo, b: WorkerInfo, lastSent: ReadonlyMap<number, number>): boolean {
  if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight;
  if (a.connections !== b.connections) return a.connections < b.connections;
  return (lastSent.get(a.id) ?? 0) < (lastSent.get(b.id) ?? 0);
}
