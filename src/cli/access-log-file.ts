import type { Application } from "../core/types.js";
import { accessLog } from "../middleware/access-log.js";
import { LogFile } from "./log-file.js";

export interface AccessLogSetup {
  app: Application;
  file: LogFile;
}

/**
 * `--access-log FILE|-`: the app wrapped with the accessLog middleware, its lines going to a
 * reopenable file (SIGUSR1). `write` replaces the file (a worker sends its lines to the master).
 */
export function withAccessLog(
  app: Application,
  path: string,
  format: "combined" | "common" | "json" = "combined",
): AccessLogSetup {
  const file = new LogFile(path);
  return { app: accessLog(app, { format, write: (line) => file.write(line) }), file };
}
