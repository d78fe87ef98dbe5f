/**
 * The example site behind a real nginx (nginx/tsgi-tcp.conf) and `tsgi fcgi`: a session
 * cookie set through nginx comes back through nginx; basic auth and the guard redirect hold.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  type Backend,
  cliBuilt,
  fetchReply,
  ROOT,
  renderConfig,
  startBackend,
} from "../fixtures/fastcgi/harness.js";
import { describeIntegration, freePort, need } from "../helpers/integration.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import type { ServerHandle } from "../helpers/server-process.js";

const SITE = join(ROOT, "examples/site/app.mjs");

describeIntegration(
  "the example site behind nginx",
  [need("nginx", NGINX), need("a built tsgi with the fcgi command (npm run build)", cliBuilt())],
  () => {
    let backend: Backend;
    let nginx: ServerHandle;
    beforeAll(async () => {
      backend = await startBackend(
        `127.0.0.1:${await freePort()}`,
        { SESSION_SECRET: "nginx-test", ADMIN_PASSWORD: "pw" },
        SITE,
      );
      const conf = renderConfig("nginx/tsgi-tcp.conf", [
        ["listen 80;", "listen 127.0.0.1:{{PORT}};"],
        ["/etc/nginx/tsgi_params", join(ROOT, "nginx/tsgi_params")],
        ["127.0.0.1:9000", backend.address],
      ]);
      nginx = await startNginx(conf);
    });
    afterAll(async () => {
      await nginx?.stop();
      await backend?.stop();
    });

    test("a session round trip through nginx and FastCGI", async () => {
      const first = await fetchReply(nginx.port, "/");
      expect(first.status).toBe(200);
      const cookie = String(first.headers["set-cookie"]?.[0] ?? "").split(";")[0];
      expect(cookie).toMatch(/^session=/);
      const second = await fetchReply(nginx.port, "/", { headers: { Cookie: cookie } });
      expect(second.body.toString()).toContain("<strong>2</strong>");
      const tampered = await fetchReply(nginx.port, "/", {
        headers: { Cookie: `${cookie.slice(0, -2)}AA` },
      });
      expect(tampered.body.toString()).toContain("<strong>1</strong>");
    });

    test("the guard on /admin holds for paths nginx passes through un-normalised", async () => {
      const auth = `Basic ${Buffer.from("admin:pw").toString("base64")}`;
      expect((await fetchReply(nginx.port, "/admin")).status).toBe(401);
      expect(
        (await fetchReply(nginx.port, "/admin", { headers: { Authorization: auth } })).status,
      ).toBe(200);
      // nginx merges slashes and resolves dot segments itself; whatever reaches tsgi, the
      // answer is the guard's 401 or a redirect to it, never the admin page.
      for (const path of ["//admin", "/static/../admin", "/admin%2F", "/x/%2E%2E/admin"]) {
        const reply = await fetchReply(nginx.port, path);
        expect([301, 400, 401], path).toContain(reply.status);
        expect(reply.body.toString()).not.toContain("Signed in");
      }
    });
  },
);
