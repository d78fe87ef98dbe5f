/**
 * The committed nginx configs (nginx/) in front of real `tsgi fcgi` processes, over HTTP.
 *
 * Each site file is rendered with the test's port, backends and params path, and run by
 * test/helpers/nginx.ts (nginx in the foreground from a temp dir, workers as root).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type Backend,
  cliBuilt,
  expectEchoed,
  expectPatternDownload,
  fetchReply,
  json,
  ROOT,
  readThenLeave,
  renderConfig,
  startBackend,
} from "../fixtures/fastcgi/harness.js";
import { describeIntegration, freePort, need, tempDir, waitFor } from "../helpers/integration.js";
import { NGINX, startNginx } from "../helpers/nginx.js";
import type { ServerHandle } from "../helpers/server-process.js";

const PARAMS = join(ROOT, "nginx/tsgi_params");

/** A site file with its backends and the params path pointed at the test's. */
function site(file: string, backends: Array<[string, string]>): string {
  return renderConfig(file, [
    ["listen 80;", "listen 127.0.0.1:{{PORT}};"],
    ["/etc/nginx/tsgi_params", PARAMS],
    ...backends,
  ]);
}

/** One nginx + backends fixture per describe block, stopped in afterAll. */
function useSite(build: (dir: string) => Promise<{ site: string; backends: Backend[] }>) {
  const state = {} as { nginx: ServerHandle; backends: Backend[]; remove(): void };
  beforeAll(async () => {
    // The backends' sockets and marker files live here, apart from nginx's own dir.
    const temp = tempDir("tsgi-nginx-backend-");
    state.remove = temp.remove;
    state.backends = [];
    const built = await build(temp.path);
    state.backends = built.backends;
    state.nginx = await startNginx(built.site);
  });
  afterAll(async () => {
    await state.nginx?.stop();
    await Promise.all(state.backends.map((b) => b.stop()));
    state.remove?.();
  });
  return state;
}

async function tcpBackend(env: Record<string, string> = {}): Promise<Backend> {
  return startBackend(`127.0.0.1:${await freePort()}`, env);
}

describeIntegration(
  "nginx in front of tsgi fcgi",
  [need("nginx", NGINX), need("a built tsgi with the fcgi command (npm run build)", cliBuilt())],
  () => {
    describe("nginx/tsgi-tcp.conf: TCP backend, app at the root", () => {
      const marker = { path: "" };
      const s = useSite(async (dir) => {
        marker.path = join(dir, "closed.log");
        const backend = await tcpBackend({ TSGI_FIXTURE_MARKER: marker.path });
        const conf = site("nginx/tsgi-tcp.conf", [["127.0.0.1:9000", backend.address]]);
        return { site: conf, backends: [backend] };
      });

      test("GET hello", async () => {
        const reply = await fetchReply(s.nginx.port, "/hello");
        expect(reply.status).toBe(200);
        expect(reply.headers["content-type"]).toBe("text/plain");
        expect(reply.body.toString()).toBe("Hello, world!\n");
      });

      test("SCRIPT_NAME, PATH_INFO, the query string and a request header reach the app", async () => {
        const reply = await fetchReply(s.nginx.port, "/x/y?a=1&b=%20c", {
          headers: { "X-Tsgi-Test": "yes, this one" },
        });
        const { environ } = json(reply);
        expect(environ).toMatchObject({
          SCRIPT_NAME: "",
          PATH_INFO: "/x/y",
          QUERY_STRING: "a=1&b=%20c",
          REQUEST_URI: "/x/y?a=1&b=%20c",
          REQUEST_METHOD: "GET",
          HTTP_X_TSGI_TEST: "yes, this one",
          SERVER_NAME: "example.com",
          SERVER_PORT: String(s.nginx.port),
          REMOTE_ADDR: "127.0.0.1",
          GATEWAY_INTERFACE: "CGI/1.1",
          REQUEST_SCHEME: "http",
          "tsgi.url_scheme": "http",
        });
        expect(environ.CONTENT_LENGTH).toBeUndefined();
      });

      test("PATH_INFO is the decoded path as byte string, a %0A included", async () => {
        // (?s) in fastcgi_split_path_info: without it a newline breaks the split.
        const { environ } = json(await fetchReply(s.nginx.port, "/caf%C3%A9/a%0Ab/%FF"));
        expect(environ.SCRIPT_NAME).toBe("");
        expect(environ.PATH_INFO).toBe("/caf\u00c3\u00a9/a\nb/\u00ff");
      });

      test("a client's Proxy header never becomes HTTP_PROXY (httpoxy)", async () => {
        const reply = await fetchReply(s.nginx.port, "/env", {
          headers: { Proxy: "http://attacker.example:8080" },
        });
        expect(json(reply).environ.HTTP_PROXY ?? "").toBe("");
      });

      test("a 10 MiB upload with every byte value comes back exactly", async () => {
        await expectEchoed(s.nginx.port, "/upload", 10 * 1024 * 1024);
      });

      test("a 64 MiB download arrives whole (SHA-256)", async () => {
        await expectPatternDownload(s.nginx.port, "/download?64", 64);
      });

      test("an app that throws before its headers gives 500", async () => {
        const reply = await fetchReply(s.nginx.port, "/throw");
        expect(reply.status).toBe(500);
        expect(reply.body.toString()).not.toContain("fixture: this route always throws");
        // The stack went out as FCGI_STDERR, which nginx writes to its error log.
        await waitFor(
          () => s.nginx.errorLog().includes("fixture: this route always throws"),
          5_000,
          "the app's error in nginx's error log",
        );
      });

      test("an error after the headers reaches the client as a broken response", async () => {
        const reply = await fetchReply(s.nginx.port, "/break");
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toContain("the first part");
        expect(reply.complete).toBe(false);
      });

      test("a client leaving mid-download runs the app's close(); the server still answers", async () => {
        await readThenLeave(s.nginx.port, "/endless?gone-1", 1024 * 1024);
        await waitFor(
          () =>
            existsSync(marker.path) && readFileSync(marker.path, "utf8").includes("closed gone-1"),
          10_000,
          "the endless body's close() after the client left",
        );
        const reply = await fetchReply(s.nginx.port, "/hello");
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toBe("Hello, world!\n");
      });
    });

    describe("a backend restarted with SIGTERM mid-response", () => {
      const s = useSite(async () => {
        const backend = await tcpBackend();
        const conf = site("nginx/tsgi-tcp.conf", [["127.0.0.1:9000", backend.address]]);
        return { site: conf, backends: [backend] };
      });

      test("finishes the response in flight, whole, then exits 0", async () => {
        const [backend] = s.backends;
        const reply = fetchReply(s.nginx.port, "/trickle?20"); // 20 x 64 KiB over ~400 ms
        await new Promise((r) => setTimeout(r, 100));
        await backend.stop("SIGTERM");
        expect(backend.child.exitCode).toBe(0);
        const { status, body, complete } = await reply;
        expect(status).toBe(200);
        expect(complete).toBe(true);
        expect(body.length).toBe(20 * 64 * 1024);
        expect(backend.log()).toMatch(/shutting down: waiting up to 30000 ms for 1 request/);
      });
    });

    describe("nginx/tsgi-unix.conf: Unix socket backend", () => {
      const s = useSite(async (dir) => {
        const socket = join(dir, "app.sock");
        const backend = await startBackend(socket);
        return {
          site: site("nginx/tsgi-unix.conf", [["/run/tsgi/app.sock", socket]]),
          backends: [backend],
        };
      });

      test("GET hello over the socket", async () => {
        const reply = await fetchReply(s.nginx.port, "/hello");
        expect(reply.status).toBe(200);
        expect(reply.body.toString()).toBe("Hello, world!\n");
      });

      test("the app sees the root mount", async () => {
        const { environ } = json(await fetchReply(s.nginx.port, "/x/y"));
        expect([environ.SCRIPT_NAME, environ.PATH_INFO]).toEqual(["", "/x/y"]);
      });
    });

    describe("nginx/tsgi-prefix.conf: app mounted under /app", () => {
      const s = useSite(async () => {
        const backend = await tcpBackend();
        const conf = site("nginx/tsgi-prefix.conf", [["127.0.0.1:9000", backend.address]]);
        return { site: conf, backends: [backend] };
      });

      test.each([
        ["/app/x/y?q=1", "/app", "/x/y", "q=1"],
        ["/app/", "/app", "/", ""],
        ["/app", "/app", "", ""],
        ["/app/a%0Ab", "/app", "/a\nb", ""],
      ])("GET %s: SCRIPT_NAME %j, PATH_INFO %j", async (path, script, info, query) => {
        const { environ } = json(await fetchReply(s.nginx.port, path));
        expect(environ.SCRIPT_NAME).toBe(script);
        expect(environ.PATH_INFO).toBe(info);
        expect(environ.QUERY_STRING).toBe(query);
      });

      test("/application is not the app's", async () => {
        const reply = await fetchReply(s.nginx.port, "/application");
        expect(reply.status).toBe(404);
      });
    });

    describe("nginx's stock fastcgi_params (not recommended)", () => {
      const s = useSite(async () => {
        const backend = await tcpBackend();
        const conf = `
server {
    listen 127.0.0.1:{{PORT}};
    server_name example.com;
    location / {
        include /etc/nginx/fastcgi_params;
        fastcgi_pass ${backend.address};
    }
}
`;
        return { site: conf, backends: [backend] };
      });

      test("the app sees SCRIPT_NAME = the whole path and PATH_INFO empty, as documented", async () => {
        const { environ } = json(await fetchReply(s.nginx.port, "/x/y?q=1"));
        expect(environ.SCRIPT_NAME).toBe("/x/y");
        expect(environ.PATH_INFO).toBe("");
        expect(environ.REQUEST_URI).toBe("/x/y?q=1");
        expect(environ.QUERY_STRING).toBe("q=1");
      });
    });

    describe("nginx/tsgi-upstream.conf: two backends", () => {
      const s = useSite(async () => {
        const first = await tcpBackend();
        const second = await tcpBackend();
        const conf = site("nginx/tsgi-upstream.conf", [
          ["127.0.0.1:9000", first.address],
          ["127.0.0.1:9001", second.address],
        ]);
        return { site: conf, backends: [first, second] };
      });

      async function pids(count: number): Promise<string[]> {
        const seen: string[] = [];
        for (let i = 0; i < count; i++) {
          const reply = await fetchReply(s.nginx.port, "/pid");
          expect(reply.status).toBe(200);
          seen.push(reply.body.toString());
        }
        return seen;
      }

      test("requests are spread over both backends", async () => {
        const seen = new Set(await pids(6));
        const expected = s.backends.map((b) => String(b.child.pid));
        expect([...seen].sort()).toEqual(expected.sort());
      });

      test("with one backend SIGKILLed, every request still gets 200 from the other", async () => {
        const [victim, survivor] = s.backends;
        await victim.stop("SIGKILL");
        const seen = await pids(8);
        expect(new Set(seen)).toEqual(new Set([String(survivor.child.pid)]));
      });
    });
  },
);
