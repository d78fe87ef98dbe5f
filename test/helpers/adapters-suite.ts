/**
 * The differential suite (issue 8 §3): the same raw requests to a fixture app served natively
 * behind nginx proxy_pass (the reference) and through every tsgi front-end must give the same
 * status, headers (less Date, Connection, Keep-Alive, Transfer-Encoding and Server, which the
 * web server in front writes) and body bytes. Each intended difference is a `skip` with its
 * reason, listed in docs/adapters.md.
 */
import { createHash } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadApp } from "../../src/cli/load-app.js";
import { inject } from "../../src/testing/inject.js";
import { readThenLeave } from "../fixtures/fastcgi/harness.js";
import {
  type FrontendName,
  type Frontends,
  frontendRequirements,
  MOUNT,
  type NativeMount,
  startFrontends,
} from "./adapters-frontends.js";
import { describeIntegration, waitFor } from "./integration.js";

export interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** A Buffer is sent with Content-Length; an array of chunks with Transfer-Encoding: chunked. */
  body?: Buffer | Buffer[];
  /** Send If-None-Match with the ETag the reference gives for this path. */
  etagOf?: string;
  /** Front-ends that do not run this case, and why. */
  skip?: Partial<Record<Target, string>>;
}

type Target = FrontendName | "inject";

/** What is compared: status, headers (names lower case, sorted, Set-Cookie kept in order), body. */
export interface Reply {
  status: number;
  headers: Array<[string, string]>;
  bytes: number;
  sha256: string;
  /** The body as text when it is short (a readable diff), else "". */
  text: string;
}

/** Written by the web server in front, not the app: never compared. */
const NOT_COMPARED = new Set(["date", "connection", "keep-alive", "transfer-encoding", "server"]);

const TARGETS: Target[] = [
  "inject",
  "serve",
  "nginx-fcgi",
  "apache-fcgi",
  "apache-cgi",
  "nginx-fcgiwrap",
];
const CGI: Target[] = ["apache-cgi", "nginx-fcgiwrap"];

const pattern = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => i & 0xff));

/** The requests every framework's fixture app answers (test/fixtures/adapters/). */
export const CASES: Case[] = [
  { name: "GET / (routing)", path: "/" },
  { name: "route and query params", path: "/users/42?sort=asc&tag=a&tag=b" },
  {
    name: "a JSON body",
    method: "POST",
    path: "/json",
    headers: { "Content-Type": "application/json" },
    body: Buffer.from('{"a":[1,2],"b":"\u00e9"}'),
  },
  {
    name: "an urlencoded body",
    method: "POST",
    path: "/form",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: Buffer.from("name=J%C3%B6rg&x=1+2"),
  },
  {
    name: "a chunked upload (no Content-Length)",
    method: "POST",
    path: "/upload",
    headers: { "Content-Type": "application/octet-stream" },
    body: [pattern(70_000), pattern(1), pattern(300_000)],
    skip: {
      "apache-cgi":
        "mod_cgi refuses a chunked request body without Content-Length (411), RFC 3875 §4.2",
    },
  },
  {
    name: "an upload with Content-Length",
    method: "POST",
    path: "/upload",
    headers: { "Content-Type": "application/octet-stream" },
    body: pattern(200_000),
  },
  { name: "several Set-Cookie", path: "/cookies" },
  { name: "a redirect", path: "/redirect" },
  { name: "a thrown error and the framework's error handler", path: "/error" },
  {
    name: "404 with a body the app never reads",
    method: "POST",
    path: "/nowhere",
    headers: { "Content-Type": "text/plain" },
    // Larger than a pipe's buffer (64 KiB): fcgiwrap answers 502, and Apache mod_cgid loses the
    // response, when a script exits with the body unread; tsgi's CGI front-end discards it.
    body: pattern(100_000),
  },
  { name: "HEAD", method: "HEAD", path: "/" },
  { name: "204", path: "/empty" },
  { name: "200 with an ETag", path: "/etag" },
  { name: "304 for If-None-Match", path: "/etag", etagOf: "/etag" },
  {
    name: "a 64 MiB download",
    path: "/big",
    skip: {
      inject: "inject() buffers the body in memory: checked through the servers",
      serve: "covered by nginx FastCGI and Apache mod_cgi (suite time)",
      "apache-fcgi": "covered by nginx FastCGI and Apache mod_cgi (suite time)",
      "nginx-fcgiwrap": "covered by nginx FastCGI and Apache mod_cgi (suite time)",
    },
  },
  { name: "server-sent events", path: "/sse" },
  {
    name: "req.ip and req.protocol behind a trusted proxy (X-Forwarded-*)",
    path: "/whoami",
    headers: { "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https" },
  },
  { name: "%2F in a path", path: "/raw/a%2Fb/c" },
  { name: "%FF in a path", path: "/raw/x%FFy" },
];

/** Runs CASES for one fixture app (a path under test/fixtures/adapters/). */
export interface SuiteOptions {
  mount: NativeMount;
  /** Front-ends the whole suite skips, and why. */
  skip?: Case["skip"];
  /** Intended differences in header values, made equal before comparing (say why at the call). */
  normalize?: (name: string, value: string) => string;
}

export function differentialSuite(title: string, app: string, options: SuiteOptions): void {
  const skips = options.skip ?? {};
  describeIntegration(
    `${title}: every front-end answers as the native server`,
    frontendRequirements(),
    () => {
      let frontends: Frontends;
      const references = new Map<Case, Promise<Reply>>();
      const reference = (c: Case) => {
        if (!references.has(c)) {
          const sent = etag(c).then((tag) => send(frontends.ports.native, MOUNT, c, tag));
          references.set(c, sent);
        }
        return references.get(c)!;
      };

      beforeAll(async () => {
        frontends = await startFrontends(app, options.mount);
      }, 60_000);
      afterAll(() => frontends?.stop(), 30_000);

      const run = async (c: Case, target: Target) => {
        const expected = structuredClone(await reference(c));
        const got =
          target === "inject"
            ? await viaInject(app, c, await etag(c))
            : await send(frontends.ports[target], frontends.prefix(target), c, await etag(c));
        for (const reply of [got, expected]) {
          // Apache frames the body itself: it drops the app's Content-Length, and sets one of
          // its own only when it holds the whole body at once. Not the app's doing.
          if (target.startsWith("apache-")) {
            reply.headers = reply.headers.filter(([name]) => name !== "content-length");
          }
          if (options.normalize) {
            reply.headers = reply.headers.map(([n, v]) => [n, options.normalize!(n, v)]);
          }
        }
        expect(got, `${target}: ${c.name}\n${frontends.logs().slice(-1200)}`).toEqual(expected);
      };
      const etag = async (c: Case) =>
        c.etagOf
          ? Object.fromEntries((await reference({ name: "etag", path: c.etagOf })).headers).etag
          : undefined;

      for (const c of CASES) {
        for (const target of TARGETS) {
          const why = c.skip?.[target] ?? skips[target];
          if (why) test.skip(`${c.name} via ${target}: ${why}`, () => {});
          else test(`${c.name} via ${target}`, () => run(c, target), 60_000);
        }
      }

      for (const target of ["native", ...TARGETS] as Array<FrontendName | "inject">) {
        if (target === "inject" || CGI.includes(target)) continue;
        test(`a client that leaves mid-stream via ${target}: the app sees close`, async () => {
          const port = frontends.ports[target];
          const prefix = target === "native" ? MOUNT : frontends.prefix(target);
          await readThenLeave(port, `${prefix}/leave`, 10);
          await waitFor(
            async () =>
              (await send(port, prefix, { name: "left", path: "/left" })).text.includes(
                '"left":true',
              ),
            10_000,
            `${target}: the app to see the client leave`,
          );
        }, 30_000);
      }
    },
  );
}

/** One request on a fresh connection; the body is hashed as it arrives, never kept whole. */
export function send(port: number, prefix: string, c: Case, etag?: string): Promise<Reply> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { Host: "example.test", ...c.headers };
    if (etag) headers["If-None-Match"] = etag;
    if (Buffer.isBuffer(c.body)) headers["Content-Length"] = String(c.body.length);
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: prefix + c.path,
        method: c.method ?? "GET",
        headers,
        agent: false,
      },
      (res) => {
        const hash = createHash("sha256");
        const start: Buffer[] = [];
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          if (bytes < 4096) start.push(chunk);
          bytes += chunk.length;
          hash.update(chunk);
        });
        res.on("error", fail);
        res.on("end", () =>
          done(
            reply(res.statusCode ?? 0, pairs(res.rawHeaders), bytes, hash, Buffer.concat(start)),
          ),
        );
      },
    );
    req.on("error", fail);
    if (Array.isArray(c.body)) for (const chunk of c.body) req.write(chunk);
    req.end(Buffer.isBuffer(c.body) ? c.body : undefined);
  });
}

async function viaInject(app: string, c: Case, etag?: string): Promise<Reply> {
  const headers: Array<[string, string]> = [
    ["Host", "example.test"],
    ...Object.entries(c.headers ?? {}),
  ];
  if (etag) headers.push(["If-None-Match", etag]);
  const body = Array.isArray(c.body) ? Buffer.concat(c.body) : c.body;
  const res = await inject(await loadApp(app), {
    method: c.method,
    url: c.path,
    headers,
    body,
    environ: { SCRIPT_NAME: MOUNT, REQUEST_URI: MOUNT + c.path, REMOTE_ADDR: "127.0.0.1" },
  });
  const list: Array<[string, string]> = res.headers.map(([name, value]) => [name, value]);
  const hash = createHash("sha256").update(res.body);
  return reply(res.statusCode, list, res.body.length, hash, Buffer.from(res.body));
}

function reply(
  status: number,
  headers: Array<[string, string]>,
  bytes: number,
  hash: ReturnType<typeof createHash>,
  start: Buffer,
): Reply {
  const kept = headers
    .map(([name, value]): [string, string] => [name.toLowerCase(), value])
    .filter(([name]) => !NOT_COMPARED.has(name));
  // Sorted by name only: a stable sort keeps the order of repeated names (Set-Cookie).
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    status,
    headers: kept,
    bytes,
    sha256: hash.digest("hex"),
    text: bytes <= 4096 ? start.toString("latin1") : "",
  };
}

function pairs(raw: string[]): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) list.push([raw[i], raw[i + 1]]);
  return list;
}
