/**
 * One app suite through every front-end (design §3): the same requests against inject(), the
 * CGI front-end, the FastCGI responder and the development HTTP server must give the same
 * status, headers and body. A front-end that drifts from the core's contract shows up here.
 */
import { request as httpRequest } from "node:http";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runWithCgi } from "../../src/cgi.js";
import { createFastCgiServer, type FastCgiServer } from "../../src/fastcgi.js";
import { serve } from "../../src/http.js";
import { metaVariablesFromRequest, parseResponseHead } from "../../src/protocol/cgi.js";
import { inject } from "../../src/testing.js";
import { suiteApp } from "../fixtures/suite-app.js";
import { FcgiClient } from "../helpers/fastcgi-client.js";

interface Req {
  method?: string;
  path: string;
  headers?: Array<[string, string]>;
  body?: Buffer;
}

interface Res {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

type Runner = (req: Req) => Promise<Res>;

const ALL_BYTES = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + 3) & 0xff));

const cases: Array<{ name: string; req: Req; expect: (res: Res) => void }> = [
  {
    name: "hello",
    req: { path: "/hello" },
    expect: (res) => {
      expect(res.status).toBe(200);
      expect(header(res, "content-type")).toBe("text/plain");
      expect(res.body.toString()).toBe("Hello, world!\n");
    },
  },
  {
    name: "path bytes, query and a header reach the environ",
    req: { path: "/environ/a%20b/%FF?x=1&y=%41", headers: [["X-Custom", "yes"]] },
    expect: (res) => {
      const seen = JSON.parse(res.body.toString());
      expect(seen.method).toBe("GET");
      expect(String.fromCharCode(...seen.path)).toBe("/environ/a b/\u00ff");
      expect(seen.query).toBe("x=1&y=%41");
      expect(seen.custom).toBe("yes");
      expect(seen.contentType).toBeNull();
      expect(seen.scheme).toBe("http");
    },
  },
  {
    name: "a binary POST body is echoed byte for byte",
    req: {
      method: "POST",
      path: "/echo",
      headers: [["Content-Type", "application/octet-stream"]],
      body: ALL_BYTES,
    },
    expect: (res) => {
      expect(res.status).toBe(200);
      expect(header(res, "content-length")).toBe(String(ALL_BYTES.length));
      expect(res.body.equals(ALL_BYTES)).toBe(true);
    },
  },
  {
    name: "start_response called lazily inside a generator",
    req: { path: "/lazy" },
    expect: (res) => {
      expect(res.status).toBe(200);
      expect(res.body.toString()).toBe("abc");
    },
  },
  {
    name: "the write() callable, then the returned body",
    req: { path: "/write" },
    expect: (res) => expect(res.body.toString()).toBe("written;returned"),
  },
  {
    name: "excInfo before commit replaces the status",
    req: { path: "/replace" },
    expect: (res) => {
      expect(res.status).toBe(503);
      expect(res.body.toString()).toBe("replaced\n");
    },
  },
  {
    name: "an app that throws gets the plain 500 page",
    req: { path: "/throw" },
    expect: (res) => {
      expect(res.status).toBe(500);
      expect(res.body.toString()).toBe("Internal Server Error\n");
    },
  },
  {
    name: "a header with CR/LF never reaches the wire",
    req: { path: "/bad-header" },
    expect: (res) => {
      expect(res.status).toBe(500);
      expect(res.headers.map(([n]) => n.toLowerCase())).not.toContain("set-cookie");
      expect(res.headers.map(([n]) => n.toLowerCase())).not.toContain("x-split");
    },
  },
  {
    name: "an app that reuses one buffer for every chunk: each chunk's bytes as yielded",
    req: { path: "/reuse" },
    expect: (res) => expect(res.body.toString()).toBe("aa\nbb\ncc\n"),
  },
  {
    name: "the same with large chunks, which the FastCGI sink writes by reference",
    req: { path: "/reuse-large" },
    expect: (res) => {
      const size = 256 * 1024;
      expect(res.body.length).toBe(3 * size);
      expect(res.body.subarray(0, size).every((b) => b === 0x61)).toBe(true);
      expect(res.body.subarray(size, 2 * size).every((b) => b === 0x62)).toBe(true);
      expect(res.body.subarray(2 * size).every((b) => b === 0x63)).toBe(true);
    },
  },
  {
    // Go's CVE-2020-24553: a sniffed text/html turned an upload into cross-site scripting.
    name: "a missing Content-Type stays missing, never sniffed or defaulted",
    req: { path: "/no-type" },
    expect: (res) => {
      expect(res.status).toBe(200);
      expect(header(res, "content-type")).toBeUndefined();
      expect(res.body.toString()).toBe("<script>alert(1)</script>");
    },
  },
  {
    name: "an empty body still sends its headers",
    req: { path: "/empty" },
    expect: (res) => {
      expect(res.status).toBe(204);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: "no route: 404",
    req: { path: "/nope" },
    expect: (res) => expect(res.status).toBe(404),
  },
];

function header(res: Res, name: string): string | undefined {
  return res.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function requestVariables(req: Req): Record<string, string> {
  const headers = [...(req.headers ?? [])];
  if (req.body) headers.push(["Content-Length", String(req.body.length)]);
  return metaVariablesFromRequest({ method: req.method ?? "GET", target: req.path, headers });
}

function fromCgiOutput(output: Buffer): Res {
  const head = parseResponseHead(output);
  if (!head)
    throw new Error(`no CGI response head in ${JSON.stringify(output.toString("latin1"))}`);
  return {
    status: Number(head.status.slice(0, 3)),
    headers: head.headers,
    body: output.subarray(head.bodyOffset),
  };
}

const viaInject: Runner = async (req) => {
  const res = await inject(suiteApp, {
    method: req.method,
    url: req.path,
    headers: req.headers,
    body: req.body,
  });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(res.body) };
};

const viaCgi: Runner = async (req) => {
  const chunks: Buffer[] = [];
  const stdout = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const body = req.body;
  await runWithCgi(suiteApp, {
    env: requestVariables(req),
    stdin: body
      ? (async function* () {
          yield body;
        })()
      : null,
    stdout,
    stderr: { write: () => true },
    exit: false,
  });
  return fromCgiOutput(Buffer.concat(chunks));
};

let fastcgi: FastCgiServer;
let client: FcgiClient;
let nextId = 1;
const viaFastCgi: Runner = async (req) => {
  const id = nextId++;
  const res = await client.request(id, requestVariables(req), { body: req.body ?? [] });
  return fromCgiOutput(res.stdout);
};

let http: Awaited<ReturnType<typeof serve>>;
const viaHttp: Runner = (req) =>
  new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: "127.0.0.1",
        port: http.port,
        path: req.path,
        method: req.method ?? "GET",
        headers: Object.fromEntries(req.headers ?? []),
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (chunk: Buffer) => parts.push(chunk));
        res.on("end", () => {
          const headers: Array<[string, string]> = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            headers.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(parts) });
        });
        res.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(req.body);
  });

beforeAll(async () => {
  fastcgi = createFastCgiServer(suiteApp, { log: () => {} });
  await fastcgi.listen("127.0.0.1:0");
  client = await FcgiClient.connect(fastcgi.address());
  http = await serve(suiteApp, { port: 0 });
});

afterAll(async () => {
  client?.close();
  await fastcgi?.close();
  await http?.close();
});

const runners: Array<[string, Runner]> = [
  ["inject", viaInject],
  ["CGI", viaCgi],
  ["FastCGI", viaFastCgi],
  ["HTTP", viaHttp],
];

describe.each(runners)("the app suite through %s", (_name, run) => {
  test.each(cases)("$name", async ({ req, expect: check }) => {
    check(await run(req));
  });
});
