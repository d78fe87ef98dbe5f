/**
 * xSendfile through real servers: X-Accel-Redirect to an nginx `internal` location, and
 * X-Sendfile to Apache with mod_xsendfile (mod_proxy_fcgi in front of `tsgi fcgi`). The app is
 * staticFiles wrapped in xSendfile (test/fixtures/static-app.mjs); the server sends the bytes.
 */
import { chmodSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Backend, cliBuilt, fetchReply } from "../fixtures/fastcgi/harness.js";
import { startStaticBackend, tsgiLocation } from "../fixtures/static-backend.js";
import { buildStaticTree, DATA, HELLO, type StaticTree } from "../fixtures/static-tree.js";
import { APACHE, APACHE_MODULES, startApache } from "../helpers/apache.js";
import { describeIntegration, need } from "../helpers/integration.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import type { ServerHandle } from "../helpers/server-process.js";

const hasModule = (name: string) => existsSync(join(APACHE_MODULES, `mod_${name}.so`));

/** The files whose names need care in a header: spaces, "?", "%", UTF-8 and raw bytes. */
const FILES: Array<[string, string]> = [
  ["/hello.txt", HELLO],
  ["/a%20b.txt", "space\n"],
  ["/q%3Fx.txt", "question mark\n"],
  ["/%252e%252e", "literally percent-2e-percent-2e\n"],
  ["/caf%C3%A9.txt", "utf-8 name\n"],
  ["/%FF.txt", "byte ff name\n"],
  ["/sub/page.html", "<p>page</p>\n"],
];

function useTree() {
  const state = {} as { tree: StaticTree };
  beforeAll(() => {
    state.tree = buildStaticTree();
    // Apache's children run as nobody: the docroot must be reachable for them.
    chmodSync(state.tree.top, 0o755);
  });
  afterAll(() => state.tree?.remove());
  return state;
}

describeIntegration(
  "xSendfile: X-Accel-Redirect through nginx",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    const t = useTree();
    let nginx: ServerHandle;
    let backend: Backend;
    beforeAll(async () => {
      const root = t.tree.root;
      backend = await startStaticBackend({
        TSGI_STATIC_ROOT: root,
        TSGI_XSENDFILE_TYPE: "X-Accel-Redirect",
        TSGI_XSENDFILE_MAP: JSON.stringify({ [`${root}/`]: "/protected/" }),
      });
      nginx = await startNginx(`
    server {
        listen 127.0.0.1:{{PORT}};
        location /protected/ {
            internal;
            alias ${root}/;
        }
        ${tsgiLocation("", backend)}
    }`);
    }, 30_000);
    afterAll(async () => {
      await nginx?.stop();
      await backend?.stop();
    });

    test.each(FILES)("GET %s: nginx sends the file", async (path, content) => {
      const reply = await fetchReply(nginx.port, path);
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe(content);
      expect(reply.headers["x-accel-redirect"]).toBeUndefined();
    });

    test("a binary file arrives byte for byte", async () => {
      const reply = await fetchReply(nginx.port, "/data.bin");
      expect(reply.body.equals(DATA)).toBe(true);
    });

    test("the internal location is not reachable from outside", async () => {
      expect((await fetchReply(nginx.port, "/protected/hello.txt")).status).toBe(404);
    });

    test("a request header cannot pick the file or the type", async () => {
      const reply = await fetchReply(nginx.port, "/hello.txt", {
        headers: {
          "X-Sendfile-Type": "X-Sendfile",
          "X-Accel-Mapping": `${t.tree.top}/=/protected/`,
        },
      });
      expect(reply.body.toString()).toBe(HELLO);
    });

    test("misses, dotfiles and traversal are still answered by the app", async () => {
      expect((await fetchReply(nginx.port, "/missing.txt")).status).toBe(404);
      expect((await fetchReply(nginx.port, "/.secret")).status).toBe(404);
      expect((await fetchReply(nginx.port, "/link-out.txt")).status).toBe(403);
    });
  },
);

describeIntegration(
  "xSendfile: X-Sendfile through Apache mod_xsendfile",
  [
    need("apache2", APACHE),
    need("mod_proxy_fcgi", hasModule("proxy") && hasModule("proxy_fcgi")),
    need("mod_xsendfile (libapache2-mod-xsendfile)", hasModule("xsendfile")),
    need("a built tsgi (npm run build)", cliBuilt()),
  ],
  () => {
    const t = useTree();
    let apache: ServerHandle;
    let backend: Backend;
    beforeAll(async () => {
      const root = t.tree.root;
      backend = await startStaticBackend({
        TSGI_STATIC_ROOT: root,
        TSGI_XSENDFILE_TYPE: "X-Sendfile",
      });
      const [host, port] = backend.address.split(":");
      apache = await startApache(
        `
ProxyFCGIBackendType GENERIC
XSendFile On
XSendFilePath ${root}
<Location "/app">
    ProxyPass "fcgi://${host}:${port}"
    ProxyFCGISetEnvIf "%{REQUEST_URI} =~ m#(?s)^/app(/.*)?$#" SCRIPT_NAME "/app"
    ProxyFCGISetEnvIf "%{REQUEST_URI} =~ m#(?s)^/app(/.*)?$#" PATH_INFO "$1"
</Location>
`,
        { modules: ["proxy", "proxy_fcgi", "xsendfile"] },
      );
    }, 30_000);
    afterAll(async () => {
      await apache?.stop();
      await backend?.stop();
    });

    test.each(FILES)("GET /app%s: Apache sends the file", async (path, content) => {
      const reply = await fetchReply(apache.port, `/app${path}`);
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe(content);
      expect(reply.headers["x-sendfile"]).toBeUndefined();
    });

    test("a binary file arrives byte for byte", async () => {
      const reply = await fetchReply(apache.port, "/app/data.bin");
      expect(reply.body.equals(DATA)).toBe(true);
    });
  },
);
