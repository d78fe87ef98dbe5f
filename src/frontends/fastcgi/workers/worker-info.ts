import type { ChildProcess } from "node:child_process";

/**
 * A worker's life as the master sees it: `starting` (loading the app) -> `ready` (gets
 * connections) -> `retiring` (a replacement is on its way; gets no new connections) ->
 * `draining` (hands idle connections back, finishes the rest) -> gone. `stopping`: the master
 * is stopping.
 */
export type WorkerState = "starting" | "ready" | "retiring" | "draining" | "stopping";

/** One record per worker: what dispatch, recycling, the watchdog and the status page read. */
export interface WorkerInfo {
  /** 1, 2, ...: never reused in the master's lifetime. */
  readonly id: number;
  readonly pid: number;
  readonly child: ChildProcess;
  state: WorkerState;
  /** Reloads so far when it was started (SIGHUP increments). */
  readonly generation: number;
  /** Date.now() at fork, and when it said ready. */
  readonly startedAt: number;
  readyAt: number | null;
  /** Requests it has begun, from its last heartbeat. */
  requests: number;
  /** Requests in flight, from its last heartbeat. */
  inFlight: number;
  /** Connections it holds: its last heartbeat's count plus what was sent since. */
  connections: number;
  /** Date.now() of its last heartbeat (or of its start). */
  heartbeatAt: number;
  /** Resident set size in bytes, from its last heartbeat. */
  rss: number;
  /** Its `--max-requests` limit with jitter, or null. */
  readonly maxRequests: number | null;
  /** Why it is being replaced, once it is. */
  retireReason: string | null;
  /** For features added beside the master (status page, slow log): keyed by feature. */
  readonly extra: Record<string, unknown>;
}

export function newWorkerInfo(
  id: number,
  child: ChildProcess,
  generation: number,
  maxRequests: number | null,
  now = Date.now(),
): WorkerInfo {
  return {
    id,
    pid: child.pid ?? 0,
    child,
    state: "starting",
    generation,
    startedAt: now,
    readyAt: null,
    requests: 0,
    inFlight: 0,
    connections: 0,
    heartbeatAt: now,
    rss: 0,
    maxRequests,
    retireReason: null,
    extra: {},
  };
}
