/**
 * The status page's data, as PHP-FPM's status page names it (pool, process manager, start
 * time, ... slow requests; per process with `?full`), plus tsgi's own: the generation of the
 * workers, the last reload, respawns, and per worker its heartbeat age, event-loop lag and RSS.
 * One process fills it from its own tracker; a master from its per-worker records. Times are
 * Unix seconds, durations microseconds (FPM's units), sizes bytes.
 */

/** FPM's process states that apply here, and a master's own for a worker not serving. */
export type WorkerState = "Idle" | "Running" | "Starting" | "Draining" | "Blocked";

export interface WorkerSnapshot {
  pid: number;
  state: WorkerState;
  /** Unix seconds. */
  startTime: number;
  /** Requests this worker started (the one running included). */
  requests: number;
  /** Microseconds: the request running, else the last one. */
  requestDuration: number;
  requestMethod: string;
  requestUri: string;
  contentLength: number;
  /** Bytes: the worker's RSS sampled at the end of its last request (0 while one runs, as FPM). */
  lastRequestMemory: number;
  /**
   * Percent: the process's CPU time over the span of its last sampled request (at most one
   * in 100 ms; 0 while one runs, as FPM). Requests that overlap in the one process share it.
   */
  lastRequestCpu: number;
  /** Milliseconds since the master last heard from it; null in one process. */
  heartbeatAge: number | null;
  /** Milliseconds its event loop was late, at the last sample. */
  eventLoopLag: number;
  /** Bytes. */
  rss: number;
  /** Which reload started it (0: at start). */
  generation: number;
}

export interface ReloadRecord {
  /** Unix seconds. */
  time: number;
  /** "ok", or the one-line error that stopped it. */
  result: string;
}

export interface StatusSnapshot {
  pool: string;
  processManager: string;
  /** Unix seconds. */
  startTime: number;
  /** Requests accepted since start (FPM counts requests, not connections, under this name). */
  acceptedConn: number;
  listenQueue: number;
  maxListenQueue: number;
  listenQueueLen: number;
  idleProcesses: number;
  activeProcesses: number;
  totalProcesses: number;
  maxActiveProcesses: number;
  maxChildrenReached: number;
  slowRequests: number;
  generation: number;
  lastReload: ReloadRecord | null;
  respawns: number;
  workers: WorkerSnapshot[];
}

/** Idle/active/total from the workers' states: a worker counts as active while it serves. */
export function countProcesses(workers: WorkerSnapshot[]): {
  idleProcesses: number;
  activeProcesses: number;
  totalProcesses: number;
} {
  let active = 0;
  let idle = 0;
  for (const worker of workers) {
    if (worker.state === "Running" || worker.state === "Blocked") active++;
    else if (worker.state === "Idle") idle++;
  }
  return { idleProcesses: idle, activeProcesses: active, totalProcesses: workers.length };
}

/** A worker with no request to show (none served yet, or no report heard): FPM's idle row. */
export function idleWorker(
  known: Pick<WorkerSnapshot, "pid" | "startTime" | "requests" | "rss" | "generation">,
): WorkerSnapshot {
  return {
    ...known,
    state: "Idle",
    requestDuration: 0,
    requestMethod: "-",
    requestUri: "-",
    contentLength: 0,
    lastRequestMemory: 0,
    lastRequestCpu: 0,
    heartbeatAge: null,
    eventLoopLag: 0,
  };
}
