import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { AppLoadError, loadApp } from "../../src/cli/load-app.js";
import { inject } from "../../src/testing/inject.js";
import { describeIntegration } from "../helpers/integration.js";
import { builtCli, FIXTURES, runCli } from "./run-cli.js";

describe("loadApp", () => {
  test.each([
    ["cli-apps.mjs", '"method":"GET"'],
    ["./cli-apps.mjs:notFound", "nothing here"],
    ["cli-named-app.mjs", "from the app export"],
    [join(FIXTURES, "cli-apps.mjs:binary"), "\u0000\u0001"],
  ])("%s", async (spec, expected) => {
    const app = await loadApp(spec, FIXTURES);
    expect(Buffer.from((await inject(app)).body).toString("latin1")).toContain(expected);
  });

  test.each([
    ["nope.mjs", /^cannot find app module nope\.mjs \(no file \/.*\/nope\.mjs\)$/],
    [
      "cli-apps.mjs:missing",
      /^app module cli-apps\.mjs has no export named "missing" \(exports: .*binary/,
    ],
    [
      "cli-apps.mjs:notAFunction",
      /^export "notAFunction" of cli-apps\.mjs is not a function \(got number\)/,
    ],
    [
      "cli-no-app.mjs",
      /^app module cli-no-app\.mjs has no default export and no export named "app" \(exports: somethingElse, value\)$/,
    ],
    [
      "cli-bad-default.mjs",
      /^the default export of cli-bad-default\.mjs is not a function \(got object\)/,
    ],
  ])("%s", async (spec, message) => {
    const loading = loadApp(spec, FIXTURES);
    await expect(loading).rejects.toThrow(AppLoadError);
    await expect(loading).rejects.toThrow(message);
  });
});

describeIntegration("tsgi with a bad APP", [builtCli], () => {
  test.each([
    ["request", "nope.mjs", "/", "tsgi: cannot find app module nope.mjs"],
    [
      "request",
      "cli-apps.mjs:missing",
      "/",
      'tsgi: app module cli-apps.mjs has no export named "missing"',
    ],
    [
      "request",
      "cli-apps.mjs:notAFunction",
      "/",
      'tsgi: export "notAFunction" of cli-apps.mjs is not a function',
    ],
    ["serve", "nope.mjs", "--port=0", "tsgi: cannot find app module nope.mjs"],
  ])("%s %s: one line on stderr, exit 2", async (command, spec, arg, message) => {
    const { code, stderr, stdout } = await runCli([command, spec, arg]);
    expect(code).toBe(2);
    expect(stdout.length).toBe(0);
    expect(stderr.startsWith(message)).toBe(true);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
