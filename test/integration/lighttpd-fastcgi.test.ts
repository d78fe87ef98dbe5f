/**
 * The committed lighttpd configs (lighttpd/) with real lighttpd: mod_fastcgi in front of a
 * separately started `tsgi fcgi` (tsgi-tcp.conf), and lighttpd spawning `tsgi run` itself with
 * the listening socket on fd 0 (tsgi-spawn.conf). lighttpd runs as root from a temp dir
 * (test/helpers/lighttpd.ts).
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  allByteValues,
  type Backend,
  CLI,
  cliBuilt,
  expectEchoed,
  expectPatternDownload,
  FIXTURE_APP,
  fetchReply,
  json,
  readThenLeave,
  renderConfig,
  startBackend,
} from "../fixtures/fastcgi/harness.js";
import { describeIntegration, freePort, need, tempDir, waitFor } from "../helpers/integration.js";
import { LIGHTTPD, type LighttpdHandle, startLighttpd } from "../helpers/lighttpd.js";

/** The pids whose parent is `parent` (Linux /proc). */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (new RegExp(`^PPid:\\s+${parent}$`, "m").test(status)) children.push(Number(entry));
    } catch {
      // gone between readdir and read
    }
  }
  return children;
}

/** Whether `pid` still runs (a zombie waiting for its reaper does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").filter(Boolean);
}

describeIntegration(
  "lighttpd in front of tsgi fcgi (lighttpd/tsgi-tcp.conf)",
  [
    need("lighttpd", LIGHTTPD),
    need("a built tsgi with the fcgi command (npm run build)", cliBuilt()),
  ],
  () => {
    let lighttpd: LighttpdHandle;
    let backend: Backend;
    let remove = () => {};
    let marker = "";
    beforeAll(async () => {
      const temp = tempDir("tsgi-lighttpd-backend-");
      remove = temp.remove;
      marker = join(temp.path, "closed.log");
      const port = await freePort();
      backend = await startBackend(`127.0.0.1:${port}`, { TSGI_FIXTURE_MARKER: marker });
      lighttpd = await startLighttpd(
        renderConfig("lighttpd/tsgi-tcp.conf", [['"port" => 9000', `"port" => ${port}`]]),
      );
    });
    afterAll(async () => {
      await lighttpd?.stop();
      await backend?.stop();
      remove();
    });

    test("GET hello", async () => {
      const reply = await fetchReply(lighttpd.port, "/app/hello");
      expect(reply.status, lighttpd.errorLog()).toBe(200);
      expect(reply.headers["content-type"]).toBe("text/plain");
      expect(reply.body.toString()).toBe("Hello, world!\n");
    });

    test.each([
      ["/app/x/y?a=1", "/app", "/x/y", "a=1"],
      ["/app/", "/app", "/", ""],
      ["/app", "/app", "", ""],
      ["/app/caf%C3%A9/a%20b", "/app", "/caf\u00c3\u00a9/a b", ""],
    ])("GET %s: SCRIPT_NAME %j, PATH_INFO %j", async (path, script, info, query) => {
      const { environ } = json(await fetchReply(lighttpd.port, path));
      expect(environ.SCRIPT_NAME).toBe(script);
      expect(environ.PATH_INFO).toBe(info);
      expect(environ.QUERY_STRING).toBe(query);
      expect(environ.REQUEST_URI).toBe(path);
    });

    test("what else lighttpd sends: CONTENT_LENGTH 0 on a GET, the server's address", async () => {
      const { environ, bodyLength } = json(await fetchReply(lighttpd.port, "/app/env"));
      expect(environ).toMatchObject({
        REQUEST_METHOD: "GET",
        CONTENT_LENGTH: "0",
        SERVER_PORT: String(lighttpd.port),
        REMOTE_ADDR: "127.0.0.1",
        GATEWAY_INTERFACE: "CGI/1.1",
        REQUEST_SCHEME: "http",
        "tsgi.url_scheme": "http",
      });
      expect(bodyLength).toBe(0);
    });

    test('/application is not the app\'s ($HTTP["url"] condition)', async () => {
      expect((await fetchReply(lighttpd.port, "/application")).status).toBe(404);
    });

    test("a client's Proxy header never becomes HTTP_PROXY (httpoxy)", async () => {
      const reply = await fetchReply(lighttpd.port, "/app/env", {
        headers: { Proxy: "http://attacker.example:8080", "X-Tsgi-Test": "through lighttpd" },
      });
      const { environ } = json(reply);
      expect(environ.HTTP_X_TSGI_TEST).toBe("through lighttpd");
      expect(environ.HTTP_PROXY ?? "").toBe("");
    });

    test("POST: a 1 MiB body with every byte value comes back exactly", async () => {
      await expectEchoed(lighttpd.port, "/app/upload", 1024 * 1024);
    });

    test("a chunked upload reaches the app buffered, with CONTENT_LENGTH", async () => {
      const body = allByteValues(300_000);
      const reply = await fetchReply(lighttpd.port, "/app/env", {
        method: "POST",
        headers: { "Transfer-Encoding": "chunked" },
        body,
      });
      const { environ, bodyLength } = json(reply);
      expect(environ.CONTENT_LENGTH).toBe(String(body.length));
      expect(bodyLength).toBe(body.length);
    });

    test("an 8 MiB download arrives whole (SHA-256)", async () => {
      await expectPatternDownload(lighttpd.port, "/app/download?8", 8);
    });

    test("an app that throws before its headers gives 500, the stack in lighttpd's log", async () => {
      const reply = await fetchReply(lighttpd.port, "/app/throw");
      expect(reply.status).toBe(500);
      expect(reply.body.toString()).not.toContain("fixture: this route always throws");
      await waitFor(
        () => lighttpd.errorLog().includes("fixture: this route always throws"),
        5_000,
        "the app's error (FCGI_STDERR) in lighttpd's error log",
      );
    });

    test("an error after the headers reaches the client as a broken response", async () => {
      // server.stream-response-body = 2; with lighttpd's default (0) this arrives with a
      // Content-Length and looks complete.
      const reply = await fetchReply(lighttpd.port, "/app/break");
      expect(reply.status).toBe(200);
      expect(reply.body.toString()).toContain("the first part");
      expect(reply.complete).toBe(false);
    });

    test("a client leaving mid-stream runs the app's close(); the server still answers", async () => {
      await readThenLeave(lighttpd.port, "/app/endless?gone-1", 1024 * 1024);
      await waitFor(
        () => existsSync(marker) && readFileSync(marker, "utf8").includes("closed gone-1"),
        10_000,
        "the endless body's close() after the client left",
      );
      const reply = await fetchReply(lighttpd.port, "/app/hello");
      expect(reply.body.toString()).toBe("Hello, world!\n");
    });
  },
);

describeIntegration(
  "lighttpd starting tsgi run (lighttpd/tsgi-spawn.conf)",
  [
    need("lighttpd", LIGHTTPD),
    need("a built tsgi with the fcgi command (npm run build)", cliBuilt()),
    need("Linux /proc", existsSync("/proc/self/status")),
  ],
  () => {
    let lighttpd: LighttpdHandle;
    beforeAll(async () => {
      // bin-path is split at whitespace, without quoting (see the config's comment).
      const paths = [process.execPath, CLI, FIXTURE_APP];
      const spaced = paths.find((path) => /\s/.test(path));
      if (spaced) throw new Error(`bin-path cannot hold a path with whitespace: ${spaced}`);
      const command = `${process.execPath} ${CLI}`;
      const site = renderConfig("lighttpd/tsgi-spawn.conf", [
        ["/usr/local/bin/tsgi", command],
        ["/srv/tsgi/app.mjs", FIXTURE_APP],
        ["/run/lighttpd/tsgi.sock", "{{DIR}}/tsgi.sock"],
      ]);
      lighttpd = await startLighttpd(site);
    });
    afterAll(async () => {
      await lighttpd?.stop();
    });

    test("GET hello at the root", async () => {
      const reply = await fetchReply(lighttpd.port, "/hello");
      expect(reply.status, lighttpd.errorLog()).toBe(200);
      expect(reply.body.toString()).toBe("Hello, world!\n");
    });

    test.each([
      ["/x/y?a=1", "/x/y", "a=1"],
      ["/x", "/x", ""],
      ["/", "/", ""],
    ])('GET %s: SCRIPT_NAME "", PATH_INFO %j (fix-root-scriptname)', async (path, info, query) => {
      const { environ } = json(await fetchReply(lighttpd.port, path));
      expect(environ.SCRIPT_NAME).toBe("");
      expect(environ.PATH_INFO).toBe(info);
      expect(environ.QUERY_STRING).toBe(query);
    });

    test("the answering process is `tsgi run APP` that lighttpd started, a socket on fd 0", async () => {
      const reply = await fetchReply(lighttpd.port, "/pid");
      const pid = Number(reply.body.toString());
      expect(childrenOf(lighttpd.pid)).toContain(pid);
      expect(cmdline(pid)).toEqual([process.execPath, CLI, "run", FIXTURE_APP]);
      expect(readlinkSync(`/proc/${pid}/fd/0`)).toMatch(/^socket:/);
      // max-procs 2: both processes are tsgi.
      const spawned = childrenOf(lighttpd.pid);
      expect(spawned).toHaveLength(2);
      for (const child of spawned) expect(cmdline(child).slice(1, 3)).toEqual([CLI, "run"]);
    });

    test("POST: a body reaches the spawned process", async () => {
      await expectEchoed(lighttpd.port, "/upload", 256 * 1024);
    });

    test("SIGTERM to lighttpd alone stops the tsgi processes it started", async () => {
      // lighttpd sends each its kill-signal (SIGTERM); tsgi closes and exits. The signal goes
      // to lighttpd's pid only, not its process group, so the children hear it from lighttpd.
      const spawned = childrenOf(lighttpd.pid);
      expect(spawned.length).toBeGreaterThan(0);
      process.kill(lighttpd.pid, "SIGTERM");
      await waitFor(
        () => !spawned.some(running),
        5_000,
        `tsgi processes ${spawned.join(", ")} to exit`,
      );
    });
  },
);
