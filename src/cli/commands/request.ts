import { readFileSync } from "node:fs";
import type { Writable } from "node:stream";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { Application } from "../../core/types.js";
import type { AppKind } from "../../frontends/cgi/app-kind.js";
import { takeStdout } from "../../frontends/cgi/output.js";
import { validator } from "../../middleware/validator.js";
import { type InjectRequest, type InjectResult, inject } from "../../testing/inject.js";
import { adapterOption } from "../adapter-option.js";
import { loadApp } from "../load-app.js";

interface RequestFlags {
  request?: string;
  header: Array<[string, string]>;
  data?: string[];
  dataBinary?: string;
  include?: boolean;
  validate?: boolean;
  adapter?: AppKind;
}

/**
 * `tsgi request APP URL`: one request in memory through `inject()`, curl-style flags. The body
 * goes to stdout as raw bytes, what the app logged to stderr; exit 0 for 2xx/3xx, 1 otherwise.
 */
export async function requestCommand(
  spec: string,
  url: string,
  flags: RequestFlags,
): Promise<void> {
  // stdout is the response, as under CGI: what the app prints (console.log, a request
  // logger) goes to stderr with the rest of its log.
  const stdout = takeStdout();
  let app: Application = await loadApp(spec, undefined, flags.adapter);
  if (flags.validate) app = validator(app);
  const res = await inject(app, buildRequest(url, flags));
  process.stderr.write(res.errors);
  if (flags.include) await output(stdout(), Buffer.from(head(res), "latin1"));
  await output(stdout(), res.body);
  const failed = res.outcome.kind === "broken" || res.outcome.kind === "gone";
  process.exitCode = failed || res.statusCode < 200 || res.statusCode >= 400 ? 1 : 0;
}

function buildRequest(url: string, flags: RequestFlags): InjectRequest {
  const headers = [...flags.header];
  const has = (name: string) => headers.some(([n]) => n.toLowerCase() === name);
  const request: InjectRequest = { url, headers };
  const absolute = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)/i.exec(url);
  if (absolute) {
    // The app sees the origin-form target; the authority becomes Host, as a client sends it.
    request.url = url.slice(absolute[0].length) || "/";
    if (!has("host")) headers.push(["Host", absolute[2]]);
    if (absolute[1].toLowerCase() === "https")
      request.environ = { HTTPS: "on", "tsgi.url_scheme": "https" };
  } else if (!has("host")) {
    headers.push(["Host", "localhost"]);
  }
  const body = requestBody(flags);
  if (body !== undefined) {
    request.body = body;
    // curl: sending data means POST, form-encoded unless the caller says otherwise.
    if (!has("content-type")) headers.push(["Content-Type", "application/x-www-form-urlencoded"]);
  }
  request.method = flags.request ?? (body !== undefined ? "POST" : "GET");
  return request;
}

function requestBody(flags: RequestFlags): Uint8Array | undefined {
  if (flags.dataBinary !== undefined) {
    const value = flags.dataBinary;
    return value.startsWith("@") ? readFileSync(value.slice(1)) : Buffer.from(value);
  }
  if (flags.data === undefined) return undefined;
  // curl -d: "@file" reads the file without its newlines; several -d are joined with "&".
  const parts = flags.data.map((value) =>
    value.startsWith("@") ? readFileSync(value.slice(1), "latin1").replace(/[\r\n]/g, "") : value,
  );
  return Buffer.from(parts.join("&"));
}

function head(res: InjectResult): string {
  const status = res.status || "502 Bad Gateway";
  const lines = [`HTTP/1.1 ${status}`, ...res.headers.map(([name, value]) => `${name}: ${value}`)];
  return `${lines.join("\r\n")}\r\n\r\n`;
}

function output(stdout: Writable, bytes: Uint8Array): Promise<void> {
  if (bytes.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

function header(line: string, previous: Array<[string, string]>): Array<[string, string]> {
  const colon = line.indexOf(":");
  if (colon <= 0)
    throw new InvalidArgumentError(`expected "Name: value", got ${JSON.stringify(line)}`);
  return [...previous, [line.slice(0, colon).trim(), line.slice(colon + 1).trim()]];
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function register(program: Command): void {
  program
    .command("request")
    .description("run one request through APP in memory and print the response body")
    .argument("<APP>", "app module path, optionally path:exportName")
    .argument("<URL>", 'a path ("/x?y=1") or an absolute URL (its host becomes the Host header)')
    .option("-X, --request <method>", "request method (default GET, or POST with data)")
    .option("-H, --header <line>", 'a request header "Name: value" (repeatable)', header, [])
    .addOption(
      new Option(
        "-d, --data <data>",
        "request body as text, or @file (newlines removed); sets POST",
      )
        .argParser(collect)
        .conflicts("dataBinary"),
    )
    .option("--data-binary <data>", "request body as is, or @file read raw; sets POST")
    .option("-i, --include", "print the status line and headers before the body")
    .option("--validate", "check the app (and the server side) with validator()")
    .addOption(adapterOption(program))
    .action(requestCommand);
}
