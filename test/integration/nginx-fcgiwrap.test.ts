import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { describeIntegration, findBinary, need, tempDir, waitFor } from "../helpers/integration.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import { type ServerHandle, stopProcess } from "../helpers/server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const FCGIWRAP = findBinary("fcgiwrap");
const BUILT = existsSync(join(ROOT, "dist", "cgi.cjs"));

/** tsgi's ready nginx/cgi-fcgiwrap.conf, pointed at this checkout, a test port and socket. */
function site(socket: string): string {
  return readFileSync(join(ROOT, "nginx", "cgi-fcgiwrap.conf"), "utf8")
    .replace("listen 127.0.0.1:8080;", "listen 127.0.0.1:{{PORT}};")
    .replaceAll("/opt/tsgi", ROOT)
    .replace("unix:/run/fcgiwrap.socket", `unix:${socket}`);
}

describeIntegration(
  "nginx + fcgiwrap run tsgi's cgi-bin scripts",
  [need("nginx", NGINX), need("fcgiwrap", FCGIWRAP), need("a build (npm run build)", BUILT)],
  () => {
    const sockets = tempDir("tsgi-fcgiwrap-");
    const socket = join(sockets.path, "fcgiwrap.sock");
    let fcgiwrap: ChildProcess;
    let nginx: ServerHandle;
    let base: string;

    beforeAll(async () => {
      fcgiwrap = spawn(FCGIWRAP!, ["-c", "2", "-s", `unix:${socket}`], {
        stdio: ["ignore", "ignore", "inherit"],
        detached: true,
      });
      await waitFor(() => existsSync(socket), 10_000, "fcgiwrap's socket");
      nginx = await startNginx(site(socket));
      base = `http://127.0.0.1:${nginx.port}`;
    });
    afterAll(async () => {
      await nginx?.stop();
      if (fcgiwrap) await stopProcess(fcgiwrap, "SIGTERM");
      sockets.remove();
    });

    test("GET /cgi-bin/hello", async () => {
      const response = await fetch(`${base}/cgi-bin/hello`);
      expect(response.status, nginx.errorLog()).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/plain");
      expect(await response.text()).toBe("Hello, world!\n");
    });

    test("POST a binary body to /cgi-bin/echo/%FF: echoed back exactly, PATH_INFO raw", async () => {
      const body = Buffer.alloc(256 * 1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 13 + (i >> 8)) & 0xff;
      const response = await fetch(`${base}/cgi-bin/echo/%FF?q=1`, {
        method: "POST",
        body,
        headers: { "X-Probe": "nginx" },
      });
      expect(response.status, nginx.errorLog()).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      const newline = bytes.indexOf(0x0a);
      const meta = JSON.parse(bytes.subarray(0, newline).toString("utf8"));
      expect(meta).toMatchObject({
        method: "POST",
        script_name: "/cgi-bin/echo",
        path_info: "/\u00ff",
        query: "q=1",
        body_length: body.length,
      });
      expect(meta.headers.HTTP_X_PROBE).toBe("nginx");
      expect(bytes.subarray(newline + 1).equals(body)).toBe(true);
    });

    test("/cgi-bin/app runs the module in TSGI_APP (fastcgi_param)", async () => {
      const response = await fetch(`${base}/cgi-bin/app`);
      expect(response.status, nginx.errorLog()).toBe(200);
      expect(await response.text()).toBe("Hello, world!\n");
    });
  },
);
