import type { WorkerSnapshot } from "../status/snapshot.js";

/** What an operator turns on for a FastCGI server (tsgi fcgi --status-path, --slow-log, ...). */
export interface OperationsOptions extends WorkerOperationsHooks {
  /** Answer this path (SCRIPT_NAME + PATH_INFO) with the status page, before the app. */
  statusPath?: string;
  /** Answer this path with `pong`, before the app. */
  pingPath?: string;
  /** The pool name on the status page; default "tsgi". */
  pool?: string;
  /** Log a request still running after this long, with the stack when the loop is blocked. */
  slowLogMs?: number;
  /** Where slow-log entries go; default stderr. */
  slowLogFile?: string;
}

/** What a worker's operations report to its master (worker mode). */
export interface WorkerOpsReport {
  worker: WorkerSnapshot;
  slowRequests: number;
  maxActive: number;
}

/** Set by the `--workers` wiring (workers/ops-worker.ts), not by users. */
export interface WorkerOperationsHooks {
  /** The status page comes from the master: `query` is QUERY_STRING. */
  remoteStatus?: (query: string) => Promise<{ contentType: string; body: string }>;
  /** Called every `reportEveryMs` with this process's record. */
  report?: (report: WorkerOpsReport) => void;
  reportEveryMs?: number;
  /** The watchdog's threshold for a blocked loop, when below slowLogMs (--worker-timeout). */
  blockLogMs?: number;
}
