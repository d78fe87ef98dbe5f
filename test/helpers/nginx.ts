import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findBinary, freePort, tempDir } from "./integration.js";
import { runForeground, type ServerHandle, serverHandle } from "./server-process.js";

export const NGINX = findBinary("nginx");

/**
 * Starts nginx in the foreground (`-p DIR -c nginx.conf -g 'daemon off;'`) on 127.0.0.1 on a
 * free port, everything (pid, logs, temp paths) in a temp dir of its own. `http` is the body of
 * the `http {}` block, where `{{PORT}}` and `{{DIR}}` are replaced: a `server { listen
 * 127.0.0.1:{{PORT}}; ... }` and whatever else it needs. Debian's fastcgi_params is copied into
 * the dir so `include fastcgi_params;` works. Workers run as root (`user root;`), so they can
 * reach sockets and files in root-owned temp dirs.
 */
export async function startNginx(http: string): Promise<ServerHandle> {
  if (!NGINX) throw new Error("nginx not found");
  const port = await freePort();
  const temp = tempDir("tsgi-nginx-");
  const dir = temp.path;
  mkdirSync(join(dir, "logs"));
  for (const params of ["fastcgi_params", "fastcgi.conf"]) {
    if (existsSync(`/etc/nginx/${params}`)) copyFileSync(`/etc/nginx/${params}`, join(dir, params));
  }
  const errorLog = join(dir, "logs", "error.log");
  const fill = (text: string) =>
    text.replaceAll("{{PORT}}", String(port)).replaceAll("{{DIR}}", dir);
  const conf = join(dir, "nginx.conf");
  writeFileSync(conf, fill(mainConfig(http)));
  const child = await runForeground(
    "nginx",
    NGINX,
    ["-p", `${dir}/`, "-c", conf, "-e", errorLog, "-g", "daemon off;"],
    port,
    errorLog,
  );
  return serverHandle(
    child,
    { port, dir, errorLogPath: errorLog, removeDir: temp.remove },
    "SIGQUIT",
  );
}

function mainConfig(http: string): string {
  return `user root;
worker_processes 1;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log {{DIR}}/logs/access.log;
    client_body_temp_path {{DIR}}/client_body;
    proxy_temp_path {{DIR}}/proxy;
    fastcgi_temp_path {{DIR}}/fastcgi;
    uwsgi_temp_path {{DIR}}/uwsgi;
    scgi_temp_path {{DIR}}/scgi;
${http}
}
`;
}
