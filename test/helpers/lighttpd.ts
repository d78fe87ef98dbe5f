import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinary, freePort, tempDir } from "./integration.js";
import { runForeground, type ServerHandle, serverHandle } from "./server-process.js";

export const LIGHTTPD = findBinary("lighttpd");

/** A lighttpd the test started; `pid` is lighttpd's own (the parent of what it spawns). */
export interface LighttpdHandle extends ServerHandle {
  pid: number;
}

/**
 * Starts lighttpd in the foreground (`lighttpd -D -f lighttpd.conf`) on 127.0.0.1 on a free
 * port, everything (pid file, error log, document root, temp files) in a temp dir of its own.
 * `site` is appended to a minimal main config; in it `{{PORT}}` and `{{DIR}}` are replaced.
 * No server.username: started as root, lighttpd stays root (it drops privileges only when
 * told to), so it and the backends it spawns reach root-owned temp dirs.
 */
export async function startLighttpd(site: string): Promise<LighttpdHandle> {
  if (!LIGHTTPD) throw new Error("lighttpd not found");
  const port = await freePort();
  const temp = tempDir("tsgi-lighttpd-");
  const dir = temp.path;
  mkdirSync(join(dir, "htdocs"));
  mkdirSync(join(dir, "uploads"));
  const errorLog = join(dir, "error.log");
  const fill = (text: string) =>
    text.replaceAll("{{PORT}}", String(port)).replaceAll("{{DIR}}", dir);
  const conf = join(dir, "lighttpd.conf");
  writeFileSync(conf, fill(mainConfig(errorLog)) + fill(site));
  const child = await runForeground("lighttpd", LIGHTTPD, ["-D", "-f", conf], port, errorLog);
  // SIGTERM: lighttpd stops at once and sends its spawned backends their kill-signal (SIGINT
  // would wait for open requests to finish).
  const handle = serverHandle(
    child,
    { port, dir, errorLogPath: errorLog, removeDir: temp.remove },
    "SIGTERM",
  );
  return { ...handle, pid: child.pid ?? 0 };
}

function mainConfig(errorLog: string): string {
  return `server.bind = "127.0.0.1"
server.port = {{PORT}}
server.document-root = "{{DIR}}/htdocs"
server.errorlog = "${errorLog}"
server.pid-file = "{{DIR}}/lighttpd.pid"
# Request bodies and buffered responses spill to temp files here.
server.upload-dirs = ( "{{DIR}}/uploads" )
`;
}
