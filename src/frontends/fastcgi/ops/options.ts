/** What an operator turns on for a FastCGI server (tsgi fcgi --status-path, --slow-log, ...). */
export interface OperationsOptions {
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
