import type { Application } from "../../core/types.js";
import type { FastCgiLimits } from "./limits.js";

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
  /** When an FCGI_OVERLOADED refusal was last logged, and how many went unlogged since. */
  readonly overloadLog: { at: number; unlogged: number };
  /** For a promise that should never reject: logs instead of crashing the process. */
  readonly unexpected: (error: unknown) => void;
}
