import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinary, freePort, tempDir } from "./integration.js";
import { runForeground, type ServerHandle, serverHandle } from "./server-process.js";

export const APACHE = findBinary("apache2", "httpd");
export const APACHE_MODULES = "/usr/lib/apache2/modules";

export interface ApacheOptions {
  /** Modules to load from APACHE_MODULES, e.g. ["cgi", "alias"] (mod_NAME.so). */
  modules?: string[];
  /** The MPM; prefork suits mod_cgi (Debian's mod_cgid is for threaded MPMs). */
  mpm?: "prefork" | "event" | "worker";
}

// What every test server needs: authorization, MIME types, environment variables, aliases.
const BASE_MODULES = ["authz_core", "mime", "env", "alias", "dir"];

/**
 * Starts Apache in the foreground on 127.0.0.1 on a free port, in a temp dir of its own
 * (ServerRoot, PidFile, logs, runtime dir). `site` is appended to a minimal main config; in it
 * `{{PORT}}` and `{{DIR}}` are replaced. As root, Apache's children run as nobody, so the
 * temp dir is made world-readable; the files a site serves must be readable by nobody too.
 */
export async function startApache(
  site: string,
  options: ApacheOptions = {},
): Promise<ServerHandle> {
  if (!APACHE) throw new Error("apache2 not found");
  const port = await freePort();
  const temp = tempDir("tsgi-apache-");
  const dir = temp.path;
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "logs"));
  mkdirSync(join(dir, "run"));
  const errorLog = join(dir, "logs", "error.log");
  const fill = (text: string) =>
    text.replaceAll("{{PORT}}", String(port)).replaceAll("{{DIR}}", dir);
  const modules = [
    ...new Set([`mpm_${options.mpm ?? "prefork"}`, ...BASE_MODULES, ...(options.modules ?? [])]),
  ];
  const conf = join(dir, "httpd.conf");
  writeFileSync(conf, fill(mainConfig(modules, errorLog)) + fill(site));
  const child = await runForeground(
    "apache2",
    APACHE,
    ["-f", conf, "-d", dir, "-DFOREGROUND"],
    port,
    errorLog,
  );
  // SIGTERM: stop now (SIGWINCH would wait for requests; a test has none left).
  return serverHandle(
    child,
    { port, dir, errorLogPath: errorLog, removeDir: temp.remove },
    "SIGTERM",
  );
}

function mainConfig(modules: string[], errorLog: string): string {
  const loads = modules.map((m) => `LoadModule ${m}_module ${APACHE_MODULES}/mod_${m}.so`);
  return `${loads.join("\n")}
ServerRoot "{{DIR}}"
ServerName 127.0.0.1
Listen 127.0.0.1:{{PORT}}
PidFile "{{DIR}}/run/httpd.pid"
DefaultRuntimeDir "{{DIR}}/run"
Mutex file:{{DIR}}/run default
ErrorLog "${errorLog}"
LogLevel warn
User nobody
Group nogroup
StartServers 2
<IfModule mpm_prefork_module>
    MinSpareServers 1
    MaxSpareServers 4
</IfModule>
TypesConfig /etc/mime.types
DocumentRoot "{{DIR}}"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
`;
}
