import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { runCgiModule } from "../../src/cgi.js";
import { AppLoadError, loadApp } from "../../src/cli/load-app.js";
import { resolveApp } from "../../src/frontends/cgi/load-app.js";
import { inject } from "../../src/testing/inject.js";
import { describeIntegration } from "../helpers/integration.js";
import { builtCli, cleanEnv, FIXTURES, ROOT, runCli } from "./run-cli.js";

// The loader with the adapters bound (issue 8 §2): detection, --adapter, CommonJS apps.

const text = (body: Uint8Array) => Buffer.from(body).toString("latin1");

describe("loadApp wraps what it detects", () => {
  test.each([
    ["loader/frameworks.mjs", "hono"],
    ["loader/frameworks.mjs:hono", "hono"],
    ["loader/frameworks.mjs:fetchObject", "fetch object"],
    ["loader/frameworks.mjs:tsgi", "tsgi"],
    ["loader/frameworks.mjs:tsgiRest", "tsgi"],
  ])("%s", async (spec, body) => {
    const response = await inject(await loadApp(spec, "test/fixtures"));
    expect(response.statusCode).toBe(200);
    expect(text(response.body)).toBe(body);
  });

  test.each([
    ["loader/frameworks.mjs:fetchFunction", /takes one parameter.*use --adapter fetch/],
    ["loader/frameworks.mjs:middleware", /takes 3 parameters.*use --adapter node/],
    ["loader/frameworks.mjs:nothing", /is not a function \(got object\)/],
  ])("%s is refused with one line", async (spec, message) => {
    const loading = loadApp(spec, "test/fixtures");
    await expect(loading).rejects.toThrow(AppLoadError);
    await expect(loading).rejects.toThrow(message);
  });

  test("--adapter fetch makes a one-parameter function a fetch handler", async () => {
    const app = await loadApp("loader/frameworks.mjs:fetchFunction", "test/fixtures", "fetch");
    expect(text((await inject(app)).body)).toBe("fetch function");
  });

  test("without adapters (resolveApp alone) a framework's app is a clear error", async () => {
    const module: unknown = await import(`${FIXTURES}/loader/frameworks.mjs`);
    expect(() => resolveApp(module, "hono", "frameworks.mjs")).toThrow(
      /^export "hono" of frameworks\.mjs is a fetch handler, and this loader has no adapters/,
    );
  });
});

const CGI_ENV = {
  GATEWAY_INTERFACE: "CGI/1.1",
  REQUEST_METHOD: "GET",
  SCRIPT_NAME: "/cgi-bin/app",
  PATH_INFO: "/",
  QUERY_STRING: "",
  SERVER_NAME: "example.org",
  SERVER_PORT: "80",
  SERVER_PROTOCOL: "HTTP/1.1",
  REMOTE_ADDR: "10.0.0.1",
};

describeIntegration("tsgi with framework apps", [builtCli], () => {
  test("an unclear export: one line that names the flag, exit 2", async () => {
    const { code, stderr, stdout } = await runCli([
      "request",
      "loader/frameworks.mjs:fetchFunction",
      "/",
    ]);
    expect(code).toBe(2);
    expect(stdout.length).toBe(0);
    expect(stderr).toMatch(/^tsgi: export "fetchFunction" of .* use --adapter fetch/);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  test.each([["request"], ["serve"], ["cgi"], ["fcgi"], ["run"]])(
    "tsgi %s takes --adapter",
    async (command) => {
      const { stdout } = await runCli([command, "--help"]);
      expect(stdout.toString().replace(/\s+/g, " ")).toMatch(
        /--adapter <KIND> .*\(choices: "tsgi", "node", "fetch"\)/,
      );
    },
  );

  test("a wrong --adapter is refused by commander with the choices", async () => {
    const { code, stderr } = await runCli(["cgi", "x.mjs", "--adapter", "express"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain("Allowed choices are tsgi, node, fetch");
  });

  test.each([
    [["request", "loader/frameworks.mjs:fetchFunction", "/", "--adapter", "fetch"]],
    [["request", "loader/frameworks.mjs:fetchFunction", "/", "--adapter=fetch"]],
  ])("%j", async (args) => {
    const { code, stdout } = await runCli(args);
    expect(code).toBe(0);
    expect(stdout.toString()).toBe("fetch function");
  });

  test.each([
    [["cgi", "loader/frameworks.mjs:fetchFunction", "--adapter", "fetch"]],
    [["cgi", "--adapter=fetch", "loader/frameworks.mjs:fetchFunction"]],
    [["run", "loader/frameworks.mjs:fetchFunction", "--adapter", "fetch"]],
  ])("under CGI: %j", async (args) => {
    const { code, stdout } = await runCli(args, { env: cleanEnv(CGI_ENV) });
    expect(code).toBe(0);
    expect(stdout.toString()).toMatch(/^Status: 200 OK\r\n[\s\S]*\r\n\r\nfetch function$/);
  });

  test("tsgi request express.cjs: curl for an Express app, and no listener of its own", async () => {
    const { code, stdout } = await runCli(["request", "loader/express.cjs", "/", "-i"]);
    expect(code).toBe(0);
    expect(stdout.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*"framework":"express"/);
  });

  test("tsgi cgi express.cjs: the response on stdout, the app's console.log on stderr", async () => {
    const { code, stdout, stderr } = await runCli(["cgi", "loader/express.cjs"], {
      env: cleanEnv(CGI_ENV),
    });
    expect(code).toBe(0);
    const response = stdout.toString();
    expect(response).toMatch(/^Status: 200 OK\r\n/);
    expect(response).toContain("X-Powered-By: Express");
    expect(response.split("\r\n\r\n")[1]).toBe(
      JSON.stringify({ framework: "express", ip: "10.0.0.1", protocol: "http" }),
    );
    expect(stderr).toContain("express: GET / (console.log must not reach a CGI response)");
    expect(stderr).not.toContain("listening");
  });

  test("under CGI what the app prints goes to stderr, never into the response", async () => {
    const { code, stdout, stderr } = await runCli(["cgi", "loader/printing.mjs"], {
      env: cleanEnv(CGI_ENV),
    });
    expect(code).toBe(0);
    expect(stdout.toString()).toBe(
      "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nonly this is the response\n",
    );
    for (const line of [
      "loaded (console.log at import)",
      ": console.log",
      ": console.info",
      ": process.stdout.write",
    ]) {
      expect(stderr).toContain(`printing.mjs${line.startsWith(":") ? "" : ": "}${line}`);
    }
  });
});

describe("CommonJS apps are required (issue 8 §2)", () => {
  test("an Express app guarded by if (!module.parent) starts no listener of its own", async () => {
    const app = await loadApp("loader/express.cjs", FIXTURES);
    const response = await inject(app, { url: "/", headers: { "X-Forwarded-For": "1.2.3.4" } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ framework: "express" });
    expect((globalThis as { tsgiFixtureListened?: boolean }).tsgiFixtureListened).toBeUndefined();
  });

  test('a .js app in a package without "type": "module" is CommonJS, required', async () => {
    const app = await loadApp("loader/commonjs/server.js", FIXTURES);
    const response = await inject(app);
    expect(text(response.body)).toBe("express4, module.parent set: true");
    expect((globalThis as { tsgiFixtureListened?: boolean }).tsgiFixtureListened).toBeUndefined();
  });

  test("after a fromNode request the same Express app still serves a real node:http server", async () => {
    const app = await loadApp("loader/express.cjs", FIXTURES);
    expect((await inject(app)).statusCode).toBe(200);
    // The module loadApp required, from the require cache: the very same Express app.
    const express = createRequire(import.meta.url)(`${FIXTURES}/loader/express.cjs`);
    const server = createServer(express);
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ framework: "express", protocol: "http" });
    } finally {
      await new Promise((closed) => server.close(closed));
    }
    // And tsgi still serves it afterwards.
    expect((await inject(app)).statusCode).toBe(200);
  });
});

describe("runCgiModule from tsgi/cgi loads the adapters only for a framework's app", () => {
  test.each([
    ["loader/frameworks.mjs:fetchObject", "fetch object"],
    ["loader/express.cjs", '{"framework":"express","ip":"10.0.0.1","protocol":"http"}'],
  ])("%s", async (spec, body) => {
    const chunks: Buffer[] = [];
    const stdout = new Writable({
      write(chunk, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    const code = await runCgiModule(`${FIXTURES}/${spec}`, {
      env: CGI_ENV,
      stdin: null,
      stdout,
      stderr: { write: () => {} },
      exit: false,
    });
    expect(code).toBe(0);
    const response = Buffer.concat(chunks).toString("latin1");
    expect(response).toMatch(/^Status: 200 OK\r\n/);
    expect(response.split("\r\n\r\n")[1]).toBe(body);
  });
});

describeIntegration("a tsgi app's CGI start-up loads no adapter", [builtCli], () => {
  test("require('tsgi/cgi') (dist/cgi.cjs) loads neither node:http nor node:stream", async () => {
    const probe = [
      `require(${JSON.stringify(`${ROOT}/dist/cgi.cjs`)});`,
      "const list = process.moduleLoadList;",
      "console.log(JSON.stringify(['http', 'stream'].filter((m) => list.includes('NativeModule ' + m))));",
    ].join("\n");
    const child = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual([]);
  });

  test("tsgi cgi with a tsgi app loads no adapter; with a fetch handler it does", async () => {
    const hook = ["--import", join(FIXTURES, "trace-loads.mjs")];
    const loads = async (spec: string) => {
      const trace = join(tmpdir(), `tsgi-trace-${process.pid}-${spec.replace(/\W/g, "_")}.txt`);
      const { code } = await runCli(["cgi", spec], {
        env: cleanEnv({ ...CGI_ENV, TSGI_TRACE_FILE: trace }),
        nodeArgs: hook,
      });
      expect(code).toBe(0);
      const text = readFileSync(trace, "utf8");
      rmSync(trace);
      return text;
    };
    const plain = await loads("cli-apps.mjs");
    expect(plain).toContain("cli-apps.mjs");
    expect(plain).not.toContain("node:http");
    expect(await loads("loader/frameworks.mjs:fetchObject")).toContain("node:http");
  });
});
