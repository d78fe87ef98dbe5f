/**
 * The front-ends of the differential suite (issue 8 §3), started for one fixture app: the app
 * served natively behind nginx `proxy_pass` (the reference), and through tsgi by `tsgi serve`,
 * nginx FastCGI (`tsgi fcgi`), Apache mod_proxy_fcgi (the same backend), Apache mod_cgi
 * (`tsgi cgi APP` in a script) and nginx + fcgiwrap (cgi-bin/app with TSGI_APP). Every one
 * mounts the app at /app (`tsgi serve --mount`): SCRIPT_NAME "/app" under tsgi.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Backend,
  CLI,
  ROOT,
  renderConfig,
  startBackend,
} from "../fixtures/fastcgi/harness.js";
import { APACHE, startApache } from "./apache.js";
import { findBinary, freePort, need, type Requirement, tempDir, waitFor } from "./integration.js";
import { NGINX, startNginx } from "./nginx.js";
import { stopProcess } from "./server-process.js";

export const FCGIWRAP = findBinary("fcgiwrap");
export const MOUNT = "/app";

export type FrontendName =
  | "native"
  | "serve"
  | "nginx-fcgi"
  | "apache-fcgi"
  | "apache-cgi"
  | "nginx-fcgiwrap";

/** Where each front-end listens, and the path prefix it serves the app under. */
export interface Frontends {
  ports: Record<FrontendName, number>;
  prefix(name: FrontendName): string;
  /** The web servers' error logs and the backends' stderr, for a failing assertion. */
  logs(): string;
  stop(): Promise<void>;
}

export function frontendRequirements(): Requirement[] {
  return [
    need("nginx", NGINX),
    need("apache2", APACHE),
    need("fcgiwrap", FCGIWRAP),
    need("a build (npm run build)", existsSync(CLI) && existsSync(join(ROOT, "dist/cgi.cjs"))),
  ];
}

/**
 * How the reference meets the mount at /app: nginx strips it from the raw target (the app sees
 * the path below it, as req.url under tsgi); "keep" passes the whole path (a fetch
 * handler sees the whole URL under tsgi too); an Express module name mounts the app natively
 * with `express().use("/app", app)` (req.baseUrl, req.originalUrl as under tsgi).
 */
export type NativeMount = "strip" | "keep" | "express" | "express4";

/** Starts every front-end for `app` (a path under test/fixtures/adapters/). */
export async function startFrontends(app: string, mount: NativeMount): Promise<Frontends> {
  const temp = tempDir("tsgi-adapters-");
  chmodSync(temp.path, 0o755);
  const stops: Array<() => Promise<void>> = [];
  const logs: Array<() => string> = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => {});
    temp.remove();
  };
  try {
    const native = await startNative(app, mount === "strip" || mount === "keep" ? [] : [mount]);
    stops.push(native.stop);
    logs.push(native.log);
    const fcgi = await startBackend(`127.0.0.1:${await freePort()}`, {}, app);
    stops.push(() => fcgi.stop());
    logs.push(() => `tsgi fcgi: ${fcgi.log()}`);
    const serve = await startServe(app);
    stops.push(serve.stop);
    logs.push(serve.log);
    const socket = join(temp.path, "fcgiwrap.sock");
    const fcgiwrap = spawn(FCGIWRAP!, ["-c", "2", "-s", `unix:${socket}`], {
      stdio: ["ignore", "ignore", "inherit"],
      detached: true,
    });
    stops.push(() => stopProcess(fcgiwrap, "SIGTERM"));
    await waitFor(() => existsSync(socket), 10_000, "fcgiwrap's socket");

    const fcgiPort = await freePort();
    const fcgiwrapPort = await freePort();
    const nginx = await startNginx(
      nginxSite(native.port, mount === "strip", fcgi, fcgiPort, socket, fcgiwrapPort, app),
    );
    stops.push(() => nginx.stop());
    logs.push(() => `nginx: ${nginx.errorLog()}`);

    const script = join(temp.path, "app.cgi");
    writeFileSync(script, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" cgi "${app}"\n`);
    chmodSync(script, 0o755);
    const proxyPort = await freePort();
    const apache = await startApache(apacheSite(script, fcgi, proxyPort), {
      modules: ["cgi", "proxy", "proxy_fcgi"],
    });
    stops.push(() => apache.stop());
    logs.push(() => `apache: ${apache.errorLog()}`);

    const ports: Record<FrontendName, number> = {
      native: nginx.port,
      serve: serve.port,
      "nginx-fcgi": fcgiPort,
      "apache-fcgi": proxyPort,
      "apache-cgi": apache.port,
      "nginx-fcgiwrap": fcgiwrapPort,
    };
    return {
      ports,
      prefix: () => MOUNT,
      logs: () => logs.map((log) => log()).join("\n"),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** nginx: the reference on {{PORT}}, tsgi FastCGI and fcgiwrap on ports of their own. */
function nginxSite(
  nativePort: number,
  strip: boolean,
  fcgi: Backend,
  fcgiPort: number,
  socket: string,
  fcgiwrapPort: number,
  app: string,
): string {
  const params = join(ROOT, "nginx/tsgi_params");
  return `
    client_max_body_size 64m;
    map $request_uri $below_mount { "~^${MOUNT}(?<rest>/.*)$" $rest; }
    upstream native { server 127.0.0.1:${nativePort}; keepalive 4; }
    upstream tsgi { server ${fcgi.address}; keepalive 4; }
    server {
        listen 127.0.0.1:{{PORT}};
        location ${MOUNT}/ {
            # The raw target, as the client sent it (%2F stays %2F): a proxy_pass with a URI
            # part would pass nginx's decoded and normalised path instead.
            proxy_pass http://native${strip ? "$below_mount" : "$request_uri"};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }
    }
    server {
        listen 127.0.0.1:${fcgiPort};
        location ${MOUNT}/ {
            fastcgi_split_path_info (?s)^(${MOUNT})(/.*)?$;
            include ${params};
            fastcgi_pass tsgi;
            fastcgi_keep_conn on;
        }
    }
    server {
        listen 127.0.0.1:${fcgiwrapPort};
        location ${MOUNT}/ {
            fastcgi_split_path_info (?s)^(${MOUNT})(/.*)?$;
            include fastcgi_params;
            fastcgi_param SCRIPT_FILENAME ${join(ROOT, "cgi-bin/app")};
            fastcgi_param SCRIPT_NAME $fastcgi_script_name;
            fastcgi_param PATH_INFO $fastcgi_path_info;
            fastcgi_param TSGI_APP ${app};
            fastcgi_pass unix:${socket};
        }
    }
`;
}

/** Apache: mod_cgi on {{PORT}}, the committed mod_proxy_fcgi config on a port of its own. */
function apacheSite(script: string, fcgi: Backend, proxyPort: number): string {
  const proxy = renderConfig("apache/fastcgi-proxy.conf", [
    ['"fcgi://127.0.0.1:9000"', `"fcgi://${fcgi.address}"`],
    // Apache holds a proxied response until 8 KiB or the end without it: server-sent events and
    // the client that leaves mid-stream need each write passed on.
    ["enablereuse=on ttl=50\n", "enablereuse=on ttl=50 flushpackets=on\n"],
  ]);
  return `
# %2F reaches the app (Apache answers 404 itself by default), as with nginx and node:http.
AllowEncodedSlashes On
ScriptAlias ${MOUNT} "${script}"
<Location "${MOUNT}">
    Options +ExecCGI
    Require all granted
</Location>
Listen 127.0.0.1:${proxyPort}
<VirtualHost 127.0.0.1:${proxyPort}>
    AllowEncodedSlashes On
${proxy}
</VirtualHost>
`;
}

interface Started {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/** node test/fixtures/adapters/native.mjs APP PORT: the framework's own server. */
async function startNative(app: string, express: string[]): Promise<Started> {
  const port = await freePort();
  const script = join(ROOT, "test/fixtures/adapters/native.mjs");
  return startProcess("native", [script, app, String(port), ...express], port, "listening");
}

/** tsgi serve APP --mount: the development server, with the app at the same mount. */
async function startServe(app: string): Promise<Started> {
  const port = await freePort();
  return startProcess(
    "tsgi serve",
    [CLI, "serve", app, "--port", String(port), "--no-log", "--mount", MOUNT],
    port,
    "tsgi: serving",
  );
}

function startProcess(what: string, args: string[], port: number, ready: string): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const started: Started = {
    port,
    log: () => `${what}: ${output}`,
    stop: () => stopProcess(child, "SIGTERM"),
  };
  return waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`${what} exited: ${output}`);
      return output.includes(ready);
    },
    15_000,
    `${what} to start`,
  ).then(
    () => started,
    async (error) => {
      await started.stop();
      throw error;
    },
  );
}
