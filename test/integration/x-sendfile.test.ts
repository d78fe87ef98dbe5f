/**
 * xSendfile through real servers: X-Accel-Redirect to an nginx `internal` location, and
 * X-Sendfile to Apache with mod_xsendfile (mod_proxy_fcgi in front of `tsgi fcgi`). The app is
 * staticFiles wrapped in xSendfile (test/fixtures/static-app.mjs); the server sends the bytes.
 */
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { unquoteToBytes } from "../../src/core/url.js";
import { type Backend, cliBuilt, fetchReply } from "../fixtures/fastcgi/harness.js";
import { startStaticBackend, tsgiLocation } from "../fixtures/static-backend.js";
import { buildStaticTree, DATA, HELLO, type StaticTree } from "../fixtures/static-tree.js";
import { APACHE, APACHE_MODULES, startApache } from "../helpers/apache.js";
import { describeIntegration, need } from "../helpers/integration.js";
import { LIGHTTPD, startLighttpd } from "../helpers/lighttpd.js";
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

/** What the server's copy of each file says: proof that the server, not the app, sent it. */
const served = (content: string) => `served by the web server: ${content}`;

/**
 * Two trees: the app's root, and the server's copy where each of FILES says `served(...)`.
 * The app maps its root onto the server's copy, so a body from the copy proves the handover.
 */
function useTree() {
  const state = {} as { tree: StaticTree; server: StaticTree };
  beforeAll(() => {
    state.tree = buildStaticTree();
    state.server = buildStaticTree();
    for (const [path, content] of FILES) {
      const name = Buffer.from(unquoteToBytes(path), "latin1");
      writeFileSync(Buffer.concat([Buffer.from(state.server.root), name]), served(content));
    }
    // Apache's children run as nobody: the docroot must be reachable for them.
    chmodSync(state.server.top, 0o755);
  });
  afterAll(() => {
    state.tree?.remove();
    state.server?.remove();
  });
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
            alias ${t.server.root}/;
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
      expect(reply.body.toString()).toBe(served(content));
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
      expect(reply.body.toString()).toBe(served(HELLO));
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
        TSGI_XSENDFILE_MAP: JSON.stringify({ [root]: t.server.root }),
      });
      const [host, port] = backend.address.split(":");
      apache = await startApache(
        `
ProxyFCGIBackendType GENERIC
XSendFile On
XSendFilePath ${t.server.root}
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
      expect(reply.body.toString()).toBe(served(content));
      expect(reply.headers["x-sendfile"]).toBeUndefined();
    });

    test("a binary file arrives byte for byte", async () => {
      const reply = await fetchReply(apache.port, "/app/data.bin");
      expect(reply.body.equals(DATA)).toBe(true);
    });
  },
);

describeIntegration(
  "xSendfile: X-Lighttpd-Send-File through lighttpd",
  [need("lighttpd", LIGHTTPD), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    const t = useTree();
    let lighttpd: ServerHandle;
    let backend: Backend;
    beforeAll(async () => {
      const root = t.tree.root;
      backend = await startStaticBackend({
        TSGI_STATIC_ROOT: root,
        TSGI_XSENDFILE_TYPE: "X-Lighttpd-Send-File",
        TSGI_XSENDFILE_MAP: JSON.stringify({ [root]: t.server.root }),
      });
      const port = backend.address.split(":")[1];
      lighttpd = await startLighttpd(`
server.modules += ( "mod_fastcgi" )
fastcgi.server = ( "/app" => ((
    "host" => "127.0.0.1",
    "port" => ${port},
    "check-local" => "disable",
    "x-sendfile" => "enable",
    "x-sendfile-docroot" => ( "${t.server.root}" ),
)) )
`);
    }, 30_000);
    afterAll(async () => {
      await lighttpd?.stop();
      await backend?.stop();
    });

    // lighttpd answers 400 itself for a request path that is not UTF-8 (/%FF.txt): the app,
    // and so X-Lighttpd-Send-File, never sees it.
    const utf8 = FILES.filter(([path]) => path !== "/%FF.txt");
    test.each(utf8)("GET /app%s: lighttpd sends the file", async (path, content) => {
      const reply = await fetchReply(lighttpd.port, `/app${path}`);
      expect(reply.status, lighttpd.errorLog()).toBe(200);
      expect(reply.body.toString()).toBe(served(content));
      expect(reply.headers["x-lighttpd-send-file"]).toBeUndefined();
    });
  },
);
