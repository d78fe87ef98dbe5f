import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { describeIntegration, tempDir } from "../helpers/integration.js";
import { builtCli, runCli } from "./run-cli.js";

const APPS = "cli-apps.mjs";

describeIntegration("tsgi request", [builtCli], () => {
  const tmp = tempDir("tsgi-cli-");
  afterAll(() => tmp.remove());

  async function show(...args: string[]) {
    const res = await runCli(["request", APPS, ...args]);
    return { ...res, seen: JSON.parse(res.stdout.toString()) };
  }

  test("GET a path: the body on stdout, the app's log on stderr, exit 0", async () => {
    const { code, seen, stderr } = await show("/hello/w%20x?y=1");
    expect(code).toBe(0);
    expect(seen).toMatchObject({
      method: "GET",
      path: "/hello/w x",
      query: "y=1",
      scheme: "http",
      headers: { HTTP_HOST: "localhost" },
      body: "",
    });
    expect(stderr).toBe("show: handled a request\n");
  });

  test("an absolute URL: its host is the Host header, https the scheme", async () => {
    const { seen } = await show("https://example.org:8443/p?q");
    expect(seen).toMatchObject({
      path: "/p",
      query: "q",
      scheme: "https",
      headers: { HTTP_HOST: "example.org:8443" },
    });
  });

  test("-X and repeated -H", async () => {
    const { seen } = await show(
      "/",
      "-X",
      "DELETE",
      "-H",
      "X-One: 1",
      "-H",
      "X-One: 2",
      "-H",
      "Accept:text/html",
    );
    expect(seen.method).toBe("DELETE");
    expect(seen.headers).toMatchObject({ HTTP_X_ONE: "1, 2", HTTP_ACCEPT: "text/html" });
  });

  test("-d sends a form POST like curl; several -d join with &", async () => {
    const { seen } = await show("/form", "-d", "a=1", "-d", "b=2");
    expect(seen).toMatchObject({
      method: "POST",
      body: "a=1&b=2",
      headers: { CONTENT_TYPE: "application/x-www-form-urlencoded", CONTENT_LENGTH: "7" },
    });
  });

  test("-d with -X and -H Content-Type keeps the caller's choices", async () => {
    const { seen } = await show(
      "/",
      "-X",
      "PUT",
      "-H",
      "Content-Type: application/json",
      "-d",
      "{}",
    );
    expect(seen).toMatchObject({
      method: "PUT",
      body: "{}",
      headers: { CONTENT_TYPE: "application/json" },
    });
  });

  test("--data-binary @file sends the file's bytes untouched", async () => {
    const file = join(tmp.path, "upload.bin");
    const bytes = Buffer.from([0, 10, 13, 255, 128, 10]);
    writeFileSync(file, bytes);
    const { seen } = await show("/up", "--data-binary", `@${file}`);
    expect(seen.method).toBe("POST");
    expect(Buffer.from(seen.body, "latin1").equals(bytes)).toBe(true);
    expect(seen.headers.CONTENT_LENGTH).toBe("6");
  });

  test("-i prints the status line and headers, a blank line, then the body", async () => {
    const { code, stdout } = await runCli(["request", APPS, "/", "-i"]);
    expect(code).toBe(0);
    const text = stdout.toString();
    const [head, body] = text.split("\r\n\r\n");
    expect(head.split("\r\n")).toEqual([
      "HTTP/1.1 200 OK",
      "Content-Type: application/json",
      "X-Tsgi-Test: yes",
    ]);
    expect(JSON.parse(body).path).toBe("/");
  });

  test("binary output reaches stdout byte for byte", async () => {
    const { code, stdout } = await runCli(["request", `${APPS}:binary`, "/"]);
    expect(code).toBe(0);
    expect(stdout.length).toBe(512);
    expect([...stdout].every((b, i) => b === i % 256)).toBe(true);
  });

  test.each([
    ["notFound", 1, "nothing here\n"],
    ["redirect", 0, ""],
    ["broken", 1, "partial"],
  ])("exit code for %s is %d", async (name, expected, body) => {
    const { code, stdout } = await runCli(["request", `${APPS}:${name}`, "/"]);
    expect(code).toBe(expected);
    expect(stdout.toString()).toBe(body);
  });

  test("--validate catches an app the core lets through", async () => {
    const plain = await runCli(["request", `${APPS}:sloppy`, "/"]);
    expect(plain.code).toBe(0);
    const checked = await runCli(["request", `${APPS}:sloppy`, "/", "--validate"]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain("validator: tsgi.input.read() takes a number or nothing");
    expect(checked.stdout.toString()).toBe("Internal Server Error\n");
  });

  test("a malformed -H is a usage error", async () => {
    const { code, stderr } = await runCli(["request", APPS, "/", "-H", "no colon"]);
    expect(code).not.toBe(0);
    expect(stderr).toContain('expected "Name: value"');
  });
});
