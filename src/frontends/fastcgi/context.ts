import type { Application } from "../../core/types.js";
import type { FastCgiLimits } from "./limits.js";
import type { ThrottledLog } from "./throttled-log.js";

/** What every connection of one server shares. */
export interface ServerContext {
  readonly app: Application;
  readonly limits: FastCgiLimits;
  /** One line, no trailing newline. */
  readonly log: (line: string) => void;
  /** Requests active in the process, against maxReqs. */
  active: number;
  /** A coarse clock in ms, advanced by the server's sweep: timeouts need no timer per request. */
  clock: number;
  /** FCGI_OVERLOADED refusals: a flood of BEGIN_REQUESTs is not a flood of lines. */
  readonly overloadLog: ThrottledLog;
  /** For a promise that should never reject: logs instead of crashing the process. */
  readonly unexpected: (error: unknown) => void;
}
