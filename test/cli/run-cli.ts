import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { need } from "../helpers/integration.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = join(ROOT, "dist/cli/main.js");
export const FIXTURES = join(ROOT, "test/fixtures");
/** The CLI tests spawn the built bin: `npm run build` first. */
export const builtCli = need("the built CLI (npm run build)", existsSync(CLI));

export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  input?: string | Uint8Array;
  cwd?: string;
  nodeArgs?: string[];
}

/** Runs `node dist/cli/main.js ...args` to its end. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
      cwd: options.cwd ?? FIXTURES,
      env: options.env ?? cleanEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** The test runner's environment without anything that looks like a CGI request. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("HTTP_") || name === "REQUEST_METHOD") continue;
    if (name === "GATEWAY_INTERFACE" || name.startsWith("NODE_OPTIONS")) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}
