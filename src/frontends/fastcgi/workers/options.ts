import type { RecycleLimits } from "./recycle.js";
import type { ForkWorker } from "./spawn.js";

/** How connections reach workers: the master picks (default), or the kernel wakes a worker. */
export type Balance = "least-busy" | "kernel";

export interface MasterOptions extends RecycleLimits {
  /** Worker processes (`--workers N`). */
  workers: number;
  balance?: Balance;
  /** Bounds every drain: reload, recycling, SIGTERM (`--graceful-timeout`). */
  graceMs: number;
  /** Kill a worker whose heartbeat is older than this (`--worker-timeout`). */
  workerTimeoutMs?: number;
  /** How long a new worker may take to load the app and say ready (default 60 s). */
  readyTimeoutMs?: number;
  /** Permissions of a Unix socket the master creates; default 0o660. */
  socketMode?: number;
  log?: (line: string) => void;
  /** Starts a worker process; default: this program again, as a worker (spawn.ts). */
  fork?: ForkWorker;
}

export const DEFAULT_READY_TIMEOUT_MS = 60_000;
