/**
 * The committed Apache configs (apache/fastcgi-proxy.conf, apache/fcgid.conf) with real Apache:
 * mod_proxy_fcgi in front of `tsgi fcgi`, and mod_fcgid starting `tsgi run` itself through
 * apache/fcgid-wrapper.sh. Apache's children run as an unprivileged user (test/helpers/apache.ts),
 * so what they read is world-readable and mod_fcgid's socket dir world-writable.
 */
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  type Backend,
  cliBuilt,
  expectEchoed,
  FIXTURE_APP,
  fetchReply,
  json,
  ROOT,
  renderConfig,
  startBackend,
} from "../fixtures/fastcgi/harness.js";
import { APACHE, APACHE_MODULES, startApache } from "../helpers/apache.js";
import { describeIntegration, freePort, need, tempDir } from "../helpers/integration.js";
import type { ServerHandle } from "../helpers/server-process.js";

const hasModule = (name: string) => existsSync(join(APACHE_MODULES, `mod_${name}.so`));

describeIntegration(
  "Apache mod_proxy_fcgi in front of tsgi fcgi",
  [
    need("apache2", APACHE),
    need("mod_proxy_fcgi", hasModule("proxy") && hasModule("proxy_fcgi")),
    need("a built tsgi with the fcgi command (npm run build)", cliBuilt()),
  ],
  () => {
    let apache: ServerHandle;
    let backend: Backend;
    beforeAll(async () => {
      backend = await startBackend(`127.0.0.1:${await freePort()}`);
      const site = renderConfig("apache/fastcgi-proxy.conf", [["127.0.0.1:9000", backend.address]]);
      apache = await startApache(site, { modules: ["proxy", "proxy_fcgi"] });
    });
    afterAll(async () => {
      await apache?.stop();
      await backend?.stop();
    });

    test("GET hello", async () => {
      const reply = await fetchReply(apache.port, "/app/hello");
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toBe("Hello, world!\n");
    });

    test("POST: a 1 MiB body with every byte value comes back exactly", async () => {
      await expectEchoed(apache.port, "/app/upload", 1024 * 1024);
    });

    test.each([
      ["/app/x/y?q=1", "/app", "/x/y", "q=1"],
      ["/app/", "/app", "/", ""],
      ["/app", "/app", "", ""],
      ["/app/caf%C3%A9/a%0Ab", "/app", "/caf\u00c3\u00a9/a\nb", ""],
    ])(
      "GET %s: SCRIPT_NAME %j, PATH_INFO %j (ProxyFCGISetEnvIf)",
      async (path, script, info, query) => {
        const { environ } = json(await fetchReply(apache.port, path));
        expect(environ.SCRIPT_NAME).toBe(script);
        expect(environ.PATH_INFO).toBe(info);
        expect(environ.QUERY_STRING).toBe(query);
        expect(environ.REQUEST_URI).toBe(path);
      },
    );

    test("a request header reaches the app; a Proxy header does not (httpoxy)", async () => {
      const reply = await fetchReply(apache.port, "/app/env", {
        headers: { "X-Tsgi-Test": "through Apache", Proxy: "http://attacker.example" },
      });
      const { environ } = json(reply);
      expect(environ.HTTP_X_TSGI_TEST).toBe("through Apache");
      expect(environ.HTTP_PROXY ?? "").toBe("");
    });

    test("/application is not the app's", async () => {
      // <Location "/app"> ends at a "/": Apache's own 403/404 (the helper denies its docroot).
      expect([403, 404]).toContain((await fetchReply(apache.port, "/application")).status);
    });

    test("an app that throws before its headers gives 500", async () => {
      expect((await fetchReply(apache.port, "/app/throw")).status).toBe(500);
    });
  },
);

describeIntegration(
  "Apache mod_fcgid starting tsgi run",
  [
    need("apache2", APACHE),
    need("mod_fcgid (libapache2-mod-fcgid)", hasModule("fcgid")),
    need("a built tsgi with the fcgi command (npm run build)", cliBuilt()),
  ],
  () => {
    let apache: ServerHandle;
    let remove = () => {};
    beforeAll(async () => {
      // mod_fcgid's process-manager (root) and its children (Apache's User) both use this dir.
      const temp = tempDir("tsgi-fcgid-");
      remove = temp.remove;
      chmodSync(temp.path, 0o755);
      const ipc = join(temp.path, "ipc");
      mkdirSync(ipc, { mode: 0o777 });
      chmodSync(ipc, 0o777);
      const site = renderConfig("apache/fcgid.conf", [
        ["/srv/tsgi/fcgid-wrapper.sh", join(ROOT, "apache/fcgid-wrapper.sh")],
        ["/srv/tsgi/app.mjs", FIXTURE_APP],
        ['"/srv/tsgi"', JSON.stringify(join(ROOT, "apache"))],
        // The node running this test, wherever CI installed it.
        ['PATH "/usr/local/bin:', `PATH "${dirname(process.execPath)}:/usr/local/bin:`],
      ]);
      const fcgid = [
        `FcgidIPCDir "${ipc}"`,
        `FcgidProcessTableFile "${join(temp.path, "fcgid_shm")}"`,
      ].join("\n");
      apache = await startApache(`${fcgid}\n${site}`, { modules: ["fcgid"] });
    });
    afterAll(async () => {
      await apache?.stop();
      remove();
    });

    test("GET hello through a process mod_fcgid started", async () => {
      const reply = await fetchReply(apache.port, "/app/hello");
      expect(reply.status, apache.errorLog()).toBe(200);
      expect(reply.body.toString()).toBe("Hello, world!\n");
    });

    test("the app is mounted at /app: SCRIPT_NAME /app, PATH_INFO the rest", async () => {
      const { environ } = json(await fetchReply(apache.port, "/app/x/y?q=1"));
      expect(environ.SCRIPT_NAME).toBe("/app");
      expect(environ.PATH_INFO).toBe("/x/y");
      expect(environ.QUERY_STRING).toBe("q=1");
    });

    test("POST: a body mod_fcgid buffered reaches the app", async () => {
      await expectEchoed(apache.port, "/app/upload", 256 * 1024);
    });
  },
);
