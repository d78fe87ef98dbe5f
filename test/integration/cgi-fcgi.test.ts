import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Application } from "../../src/core/types.js";
import { createFastCgiServer, type FastCgiServer } from "../../src/fastcgi.js";
import { describeIntegration, findBinary, need } from "../helpers/integration.js";

const CGI_FCGI = findBinary("cgi-fcgi");

const app: Application = async (environ, startResponse) => {
  const body = await environ["tsgi.input"].read();
  environ["tsgi.errors"].write("a line for the web server's log\n");
  startResponse("200 OK", [["Content-Type", "text/plain"]]);
  const meta = `${environ.REQUEST_METHOD} ${environ.PATH_INFO} ${environ.QUERY_STRING} ${environ.HTTP_X_TEST ?? "-"}\n`;
  return [new TextEncoder().encode(meta), body];
};

/** Runs libfcgi's cgi-fcgi as a CGI program: meta-variables in env, body on stdin. */
function cgiFcgi(
  address: string,
  env: Record<string, string>,
  body = "",
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CGI_FCGI!, ["-bind", "-connect", address], {
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(body);
  });
}

describeIntegration(
  "libfcgi cgi-fcgi as the FastCGI client",
  [need("cgi-fcgi (libfcgi-bin)", CGI_FCGI)],
  () => {
    let server: FastCgiServer;
    beforeAll(async () => {
      server = createFastCgiServer(app, { log: () => {} });
      await server.listen("127.0.0.1:0");
    });
    afterAll(() => server.close());

    test("a GET: cgi-fcgi prints the app's CGI response", async () => {
      const res = await cgiFcgi(server.address(), {
        GATEWAY_INTERFACE: "CGI/1.1",
        REQUEST_METHOD: "GET",
        SCRIPT_NAME: "/app",
        PATH_INFO: "/hello",
        QUERY_STRING: "a=1",
        HTTP_X_TEST: "yes",
        SERVER_NAME: "localhost",
        SERVER_PORT: "80",
        SERVER_PROTOCOL: "HTTP/1.1",
      });
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(
        "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nGET /hello a=1 yes\n",
      );
      expect(res.stderr).toBe("a line for the web server's log\n");
    });

    test("a POST body reaches tsgi.input", async () => {
      const body = "x".repeat(100_000);
      const res = await cgiFcgi(
        server.address(),
        { REQUEST_METHOD: "POST", PATH_INFO: "/up", CONTENT_LENGTH: String(body.length) },
        body,
      );
      expect(res.stdout.startsWith("Status: 200 OK\r\n")).toBe(true);
      expect(res.stdout.endsWith(`POST /up  -\n${body}`)).toBe(true);
    });
  },
);
