import type { FastCgiOptions } from "../frontends/fastcgi/limits.js";

// No commander here: `tsgi run APP` (main.ts's fast path) imports this without the program.

/** The operator's flags of `tsgi fcgi` and `tsgi run` (issue 10 §3, §4). */
export interface OpsFlags {
  requestTimeout?: number;
  slowLog?: number;
  slowLogFile?: string;
  statusPath?: string;
  pingPath?: string;
  accessLog?: string;
  accessLogFormat?: "combined" | "common" | "json";
}

/** The FastCGI server options the flags set. */
export function opsServerOptions(flags: OpsFlags): FastCgiOptions {
  return {
    requestTimeoutMs: flags.requestTimeout,
    slowLogMs: flags.slowLog,
    slowLogFile: flags.slowLogFile,
    statusPath: flags.statusPath,
    pingPath: flags.pingPath,
  };
}
