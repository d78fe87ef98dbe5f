import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { describeIntegration, tempDir, waitFor } from "../helpers/integration.js";
import { builtCli, CLI, cleanEnv, FIXTURES, ROOT, runCli } from "./run-cli.js";

const CGI_ENV = {
  GATEWAY_INTERFACE: "CGI/1.1",
  REQUEST_METHOD: "POST",
  SCRIPT_NAME: "/cgi-bin/app",
  PATH_INFO: "/things/1",
  QUERY_STRING: "a=b",
  SERVER_NAME: "example.org",
  SERVER_PORT: "80",
  SERVER_PROTOCOL: "HTTP/1.1",
  REMOTE_ADDR: "10.0.0.1",
  CONTENT_TYPE: "text/plain",
  CONTENT_LENGTH: "5",
  HTTP_X_FROM: "cgi",
};

describeIntegration("tsgi command line", [builtCli], () => {
  const tmp = tempDir("tsgi-cli-main-");
  afterAll(() => tmp.remove());

  test("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    const { code, stdout } = await runCli(["--version"]);
    expect(code).toBe(0);
    expect(stdout.toString().trim()).toBe(version);
  });

  test.each([[[]], [["request"]], [["serve"]], [["cgi"]]])("--help %j", async (command) => {
    const { code, stdout } = await runCli([...command, "--help"]);
    expect(code).toBe(0);
    expect(stdout.toString()).toMatch(/^Usage: tsgi /);
    if (command.length > 0)
      expect(stdout.toString()).toContain(`tsgi ${command[0]} [options] <APP>`);
  });

  test("an unknown command fails with a usage message", async () => {
    const { code, stderr } = await runCli(["frobnicate"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("unknown command 'frobnicate'");
  });

  test("tsgi cgi APP answers one request from the CGI environment and stdin", async () => {
    const { code, stdout } = await runCli(["cgi", "cli-apps.mjs"], {
      env: cleanEnv(CGI_ENV),
      input: "hello and more",
    });
    expect(code).toBe(0);
    const text = stdout.toString();
    const [head, body] = text.split("\r\n\r\n");
    expect(head.split("\r\n")[0]).toBe("Status: 200 OK");
    expect(head).toContain("X-Tsgi-Test: yes");
    expect(JSON.parse(body)).toMatchObject({
      method: "POST",
      script: "/cgi-bin/app",
      path: "/things/1",
      query: "a=b",
      body: "hello",
      headers: { HTTP_X_FROM: "cgi", CONTENT_LENGTH: "5" },
    });
  });

  test("tsgi cgi does not load commander (a CGI process starts per request)", async () => {
    const trace = join(tmp.path, "cgi-trace.txt");
    const hook = ["--import", join(FIXTURES, "trace-loads.mjs")];
    const cgi = await runCli(["cgi", "cli-apps.mjs"], {
      env: cleanEnv({ ...CGI_ENV, TSGI_TRACE_FILE: trace }),
      input: "hello",
      nodeArgs: hook,
    });
    expect(cgi.code).toBe(0);
    const loaded = readFileSync(trace, "utf8");
    expect(loaded).toContain("cli-apps.mjs"); // the trace works...
    expect(loaded).not.toContain("commander"); // ...and commander is not in it

    const control = join(tmp.path, "program-trace.txt");
    await runCli(["--version"], {
      env: cleanEnv({ TSGI_TRACE_FILE: control }),
      nodeArgs: hook,
    });
    expect(readFileSync(control, "utf8")).toContain("commander");
  });

  test.each([
    [[], /127\.0\.0\.1 - - \[[^\]]+\] "POST \/served\?x=1 HTTP\/1\.1" 200 \d+ "-" "node"\n/],
    [["--no-dev"], /"POST \/served\?x=1 HTTP\/1\.1" 200 OK/],
  ])(
    "tsgi serve %j answers requests, logs them and stops cleanly on SIGTERM",
    async (flags, line) => {
      const args = [CLI, "serve", "cli-apps.mjs", "--port", "0", ...flags];
      const child = spawn(process.execPath, args, {
        cwd: FIXTURES,
        env: cleanEnv(),
      });
      try {
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        await waitFor(() => stdout.includes("\n"), 10_000, "the serving line");
        const match =
          /^tsgi: serving cli-apps\.mjs on (http:\/\/127\.0\.0\.1:\d+) \(development only\)\n$/.exec(
            stdout,
          );
        expect(match, stdout).not.toBeNull();
        const res = await fetch(`${match![1]}/served?x=1`, { method: "POST", body: "abc" });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ method: "POST", path: "/served", body: "abc" });
        const exited = exitOf(child);
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
        // development(app) by default: accessLog's combined line; --no-dev: the server's own.
        expect(stderr).toMatch(line);
        expect(stderr).toContain("SIGTERM, stopping");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    },
  );
});

test("tsgi serve --mount: the app under the prefix (SCRIPT_NAME), 404 elsewhere; a bad prefix is refused", async () => {
  const args = [CLI, "serve", "cli-apps.mjs", "--port", "0", "--no-log", "--mount", "/app"];
  const child = spawn(process.execPath, args, { cwd: FIXTURES, env: cleanEnv() });
  try {
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    await waitFor(() => stdout.includes("\n"), 10_000, "the serving line");
    const base = /on (http:\/\/127\.0\.0\.1:\d+) /.exec(stdout)![1];
    const inside = await fetch(`${base}/app/x?y=1`);
    expect(inside.status).toBe(200);
    expect(await inside.json()).toMatchObject({ script: "/app", path: "/x", query: "y=1" });
    const outside = await fetch(`${base}/other`);
    expect(outside.status).toBe(404);
  } finally {
    child.kill("SIGKILL");
  }
  const bad = spawnSync(process.execPath, [CLI, "serve", "cli-apps.mjs", "--mount", "app/"], {
    cwd: FIXTURES,
    env: cleanEnv(),
    encoding: "utf8",
  });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toMatch(/not a path prefix like "\/app"/);
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
