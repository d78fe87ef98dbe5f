import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { beforeAll, describe, expect, test } from "vitest";
import { parseEnvironBlock } from "../../src/frontends/cgi/environment.js";
import { type CgiOptions, runCgiModule, runWithCgi } from "../../src/frontends/cgi.js";
import type { Application } from "../../src/types.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CGI_BIN = join(ROOT, "cgi-bin");
const FIXTURES = join(import.meta.dirname, "fixtures");
const EXAMPLES = join(ROOT, "examples");

const CGI_ENV: Record<string, string> = {
  GATEWAY_INTERFACE: "CGI/1.1",
  REQUEST_METHOD: "GET",
  SCRIPT_NAME: "/cgi-bin/hello",
  PATH_INFO: "",
  QUERY_STRING: "",
  SERVER_NAME: "localhost",
  SERVER_PORT: "80",
  SERVER_PROTOCOL: "HTTP/1.1",
  REMOTE_ADDR: "127.0.0.1",
};

const HELLO_RESPONSE =
  "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nHello, world!\n";

/** Runs an app in-process with injected streams; resolves with what a web server would see. */
async function runInjected(
  app: Application | string,
  env: Record<string, string>,
  stdin: Uint8Array | null = null,
) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (chunk: Buffer) => chunks.push(chunk));
  let errors = "";
  const options: CgiOptions = {
    env: { ...CGI_ENV, ...env },
    stdin: stdin ? Readable.from([stdin]) : null,
    stdout: out,
    stderr: { write: (text: string) => (errors += text) },
    exit: false,
  };
  const code =
    typeof app === "string" ? await runCgiModule(app, options) : await runWithCgi(app, options);
  return { code, stdout: Buffer.concat(chunks), stderr: errors };
}

/** Splits a CGI response into its head (latin-1 text) and body bytes. */
function splitResponse(bytes: Buffer): { head: string; body: Buffer } {
  const end = bytes.indexOf("\r\n\r\n");
  expect(end, `no blank line in ${bytes.toString("latin1").slice(0, 200)}`).toBeGreaterThan(0);
  return { head: bytes.subarray(0, end).toString("latin1"), body: bytes.subarray(end + 4) };
}

function echoMeta(bytes: Buffer): { meta: Record<string, unknown>; body: Buffer } {
  const { body } = splitResponse(bytes);
  const newline = body.indexOf(0x0a);
  return {
    meta: JSON.parse(body.subarray(0, newline).toString("utf8")),
    body: body.subarray(newline + 1),
  };
}

describe("runWithCgi with injected streams", () => {
  test("GET hello: Status line, headers, blank line, body, exit 0", async () => {
    const result = await runInjected(join(EXAMPLES, "hello.mjs"), {});
    expect(result.stdout.toString("latin1")).toBe(HELLO_RESPONSE);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  test("POST: the body is bounded by CONTENT_LENGTH", async () => {
    const result = await runInjected(
      join(EXAMPLES, "echo.mjs"),
      { REQUEST_METHOD: "POST", CONTENT_LENGTH: "5", CONTENT_TYPE: "text/plain" },
      new TextEncoder().encode("abcdefgh"),
    );
    const { meta, body } = echoMeta(result.stdout);
    expect(meta).toMatchObject({ method: "POST", body_length: 5, content_type: "text/plain" });
    expect(body.toString()).toBe("abcde");
  });

  test("no CONTENT_LENGTH: no body, whatever stdin holds (RFC 3875 §4.2)", async () => {
    const result = await runInjected(
      join(EXAMPLES, "echo.mjs"),
      { REQUEST_METHOD: "POST" },
      new TextEncoder().encode("ignored"),
    );
    const { meta, body } = echoMeta(result.stdout);
    expect(meta.body_length).toBe(0);
    expect(body.length).toBe(0);
  });

  test.each(["abc", "-1", "1.5", " 5", "99999999999999999"])(
    "malformed CONTENT_LENGTH %j: 400 and a log line naming it",
    async (length) => {
      const result = await runInjected(join(EXAMPLES, "echo.mjs"), {
        REQUEST_METHOD: "POST",
        CONTENT_LENGTH: length,
      });
      const { head, body } = splitResponse(result.stdout);
      expect(head.split("\r\n")[0]).toBe("Status: 400 Bad Request");
      expect(body.toString()).toBe("Bad Request\n");
      expect(result.stderr).toContain(`CONTENT_LENGTH ${JSON.stringify(length)}`);
      expect(result.code).toBe(0);
    },
  );

  test("an app that throws: 500 to the client, the stack on stderr only", async () => {
    const result = await runInjected(join(EXAMPLES, "fail.mjs"), {});
    const { head, body } = splitResponse(result.stdout);
    expect(head.split("\r\n")[0]).toBe("Status: 500 Internal Server Error");
    expect(body.toString()).toBe("Internal Server Error\n");
    expect(result.stdout.toString()).not.toContain("always throws");
    expect(result.stderr).toContain("fail.mjs: this app always throws");
    expect(result.stderr).toMatch(/\n\s+at /);
    expect(result.code).toBe(0);
  });

  test.each([
    ["a CommonJS module (required, not imported)", join(FIXTURES, "hello.cjs")],
    ["a named export", `${join(FIXTURES, "hello.cjs")}:named`],
  ])("%s", async (_what, spec) => {
    const result = await runInjected(spec, {});
    expect(splitResponse(result.stdout).body.toString()).toBe("Hello from CommonJS\n");
  });

  test.each([
    ["a module that does not exist", join(FIXTURES, "missing.mjs"), /cannot find app module/],
    [
      "an export that does not exist",
      `${join(EXAMPLES, "hello.mjs")}:nope`,
      /has no export named "nope"/,
    ],
  ])("%s: 500 and one log line", async (_what, spec, message) => {
    const result = await runInjected(spec, {});
    expect(splitResponse(result.stdout).head).toMatch(/^Status: 500 /);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("outside a web server (no REQUEST_METHOD): exit 2 and one line", async () => {
    const { REQUEST_METHOD: _, ...env } = CGI_ENV;
    let errors = "";
    const code = await runWithCgi(() => [], {
      env,
      stdout: new PassThrough(),
      stderr: { write: (text: string) => (errors += text) },
      exit: false,
    });
    expect(code).toBe(2);
    expect(errors.trim().split("\n")).toHaveLength(1);
    expect(errors).toContain("tsgi request APP URL");
  });
});

describe("parseEnvironBlock", () => {
  test.each([
    ["A=1\0B=x=y\0", { A: "1", B: "x=y" }],
    ["PATH_INFO=/\u00ff\0", { PATH_INFO: "/\u00ff" }],
    ["NOEQUALS\0=junk\0EMPTY=\0", { EMPTY: "" }],
    ["__proto__=x\0", JSON.parse('{"__proto__":"x"}')],
  ])("%j", (block, expected) => {
    const vars = parseEnvironBlock(block);
    expect(Object.getPrototypeOf(vars)).toBe(Object.prototype);
    expect(Object.keys(vars)).toEqual(Object.keys(expected));
    for (const key of Object.keys(expected)) expect(vars[key]).toBe(expected[key as "A"]);
  });
});

// The rest runs the real cgi-bin scripts: a process per request, as a web server does.
describe("cgi-bin scripts as processes", () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "cgi.cjs"))) {
      throw new Error("dist/cgi.cjs is missing: run `npm run build` first");
    }
  });

  function run(script: string, env: Record<string, string>, input?: Uint8Array) {
    const result = spawnSync(join(CGI_BIN, script), [], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...CGI_ENV, ...env },
      input,
      stdio: [input ? "pipe" : "ignore", "pipe", "pipe"],
      timeout: 10_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
  }

  test("GET cgi-bin/hello: the exact bytes, exit 0", () => {
    const result = run("hello", {});
    expect(result.stdout.toString("latin1")).toBe(HELLO_RESPONSE);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
  });

  test("POST cgi-bin/echo: a binary body bounded by CONTENT_LENGTH from stdin", () => {
    const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i & 0xff));
    const result = run("echo", { REQUEST_METHOD: "POST", CONTENT_LENGTH: "300" }, body);
    const echoed = echoMeta(result.stdout);
    expect(echoed.meta.body_length).toBe(300);
    expect(echoed.body.equals(body.subarray(0, 300))).toBe(true);
    expect(result.code).toBe(0);
  });

  test("byte 0xFF in PATH_INFO arrives as \\u00ff (raw environment, not process.env)", () => {
    // Node's spawn encodes env values as UTF-8, so let the shell put the raw byte there.
    const result = spawnSync(
      "/bin/sh",
      ["-c", `PATH_INFO="$(printf '/a\\377b')" exec "$0"`, join(CGI_BIN, "echo")],
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...CGI_ENV, HTTP_X_RAW: "caf\u00e9" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const { meta } = echoMeta(result.stdout);
    expect(meta.path_info).toBe("/a\u00ffb");
    // UTF-8 "é" (C3 A9) arrives as two byte-chars, as PEP 3333's native strings do.
    expect((meta.headers as Record<string, string>).HTTP_X_RAW).toBe("caf\u00c3\u00a9");
  });

  test("httpoxy: HTTP_PROXY is in the environ, not in process.env or a child's environment", () => {
    const result = run("app", {
      TSGI_APP: join(FIXTURES, "httpoxy.mjs"),
      HTTP_PROXY: "http://attacker.example:3128",
    });
    const report = JSON.parse(splitResponse(result.stdout).body.toString());
    expect(report).toEqual({
      environ: "http://attacker.example:3128",
      atImport: null,
      atRun: null,
      child: null,
    });
  });

  test("file work the app started after answering finishes before the process exits", () => {
    const dir = mkdtempSync(join(tmpdir(), "tsgi-write-after-"));
    try {
      const file = join(dir, "out.txt");
      const result = run("app", {
        TSGI_APP: join(FIXTURES, "write-after.mjs"),
        WRITE_AFTER_FILE: file,
      });
      expect(splitResponse(result.stdout).body.toString()).toBe("answered\n");
      expect(result.code).toBe(0);
      // Every append, in order: the process waited for them (Node's "exit when nothing is left").
      const lines = readFileSync(file, "utf8").trim().split("\n");
      expect(lines).toEqual(Array.from({ length: 64 }, (_, i) => String(i)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("cgi-bin/app without TSGI_APP: 500 and one log line saying so", () => {
    const result = run("app", {});
    expect(splitResponse(result.stdout).head).toMatch(/^Status: 500 /);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("TSGI_APP is not set");
  });

  test("error after the headers: exit non-zero, the body short of its Content-Length", () => {
    const result = run("app", { TSGI_APP: join(FIXTURES, "broken.mjs") });
    const { head, body } = splitResponse(result.stdout);
    expect(head).toContain("Content-Length: 10");
    expect(body.toString()).toBe("12345");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("broken.mjs: failed half way");
  });

  test("outside a web server: exit 2 and one line pointing to `tsgi request`", () => {
    const result = spawnSync(join(CGI_BIN, "hello"), [], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(result.status).toBe(2);
    expect(result.stdout.length).toBe(0);
    const lines = result.stderr.toString().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("tsgi request APP URL");
  });

  test("client gone (EPIPE): close() runs, exit is prompt, no stack trace", async () => {
    const child = spawn(join(CGI_BIN, "app"), [], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        ...CGI_ENV,
        TSGI_APP: join(FIXTURES, "stream-forever.mjs"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    // "close": the process exited and its stdio is closed, so stderr is complete.
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    // Read a little, then close our end of the pipe while the app keeps streaming.
    await new Promise<void>((done) => child.stdout.once("data", () => done()));
    const closedAt = Date.now();
    child.stdout.destroy();
    const code = await exited;
    expect(Date.now() - closedAt).toBeLessThan(2_000);
    expect(stderr).toContain("stream-forever: close() called");
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr.trim().split("\n").length).toBeLessThanOrEqual(2);
    expect(code).not.toBe(0);
  });
});
