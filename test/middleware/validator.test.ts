import { describe, expect, test } from "vitest";
import { ContractError } from "../../src/core/errors.js";
import type { Application, Body, Environ, StartResponse } from "../../src/core/types.js";
import { validator } from "../../src/middleware/validator.js";
import { inject } from "../../src/testing/inject.js";
import { testEnviron } from "../helpers/environ.js";

const enc = new TextEncoder();

const okApp: Application = (_environ, start) => {
  start("200 OK", [["Content-Type", "text/plain"]]);
  return [enc.encode("ok")];
};

function goodEnviron(): Environ {
  return testEnviron({
    REQUEST_METHOD: "GET",
    SCRIPT_NAME: "",
    PATH_INFO: "/",
    QUERY_STRING: "",
    SERVER_NAME: "localhost",
    SERVER_PORT: "80",
    SERVER_PROTOCOL: "HTTP/1.1",
  });
}

const noopStart: StartResponse = () => async () => {};

describe("validator: server side", () => {
  const cases: Array<[string, (env: Record<string, unknown>) => void, string]> = [
    ["REQUEST_METHOD missing", (e) => delete e.REQUEST_METHOD, "environ is missing REQUEST_METHOD"],
    [
      "REQUEST_METHOD empty",
      (e) => (e.REQUEST_METHOD = ""),
      "environ REQUEST_METHOD must be a non-empty string",
    ],
    ["SCRIPT_NAME ends in /", (e) => (e.SCRIPT_NAME = "/app/"), "environ SCRIPT_NAME must be"],
    ["SCRIPT_NAME relative", (e) => (e.SCRIPT_NAME = "app"), "environ SCRIPT_NAME must be"],
    ["PATH_INFO relative", (e) => (e.PATH_INFO = "x"), "environ PATH_INFO must be"],
    ["QUERY_STRING missing", (e) => delete e.QUERY_STRING, "environ is missing QUERY_STRING"],
    ["SERVER_NAME missing", (e) => delete e.SERVER_NAME, "environ is missing SERVER_NAME"],
    [
      "SERVER_PORT a number",
      (e) => (e.SERVER_PORT = 80),
      "environ SERVER_PORT must be a non-empty string, got number 80",
    ],
    [
      "SERVER_PROTOCOL missing",
      (e) => delete e.SERVER_PROTOCOL,
      "environ is missing SERVER_PROTOCOL",
    ],
    [
      "CONTENT_LENGTH not digits",
      (e) => (e.CONTENT_LENGTH = "12a"),
      "environ CONTENT_LENGTH must be digits",
    ],
    [
      "HTTP_CONTENT_TYPE present",
      (e) => (e.HTTP_CONTENT_TYPE = "text/plain"),
      "environ must not hold HTTP_CONTENT_TYPE: use CONTENT_TYPE",
    ],
    [
      "HTTP_CONTENT_LENGTH present",
      (e) => (e.HTTP_CONTENT_LENGTH = "3"),
      "environ must not hold HTTP_CONTENT_LENGTH: use CONTENT_LENGTH",
    ],
    [
      "tsgi.version wrong",
      (e) => (e["tsgi.version"] = [1, 1]),
      "environ tsgi.version must be [1, 0]",
    ],
    [
      "tsgi.url_scheme wrong",
      (e) => (e["tsgi.url_scheme"] = "ftp"),
      'environ tsgi.url_scheme must be "http" or "https"',
    ],
    [
      "tsgi.input without readline",
      (e) => (e["tsgi.input"] = { read() {} }),
      "environ tsgi.input must be an object with read, readline and async iteration",
    ],
    [
      "tsgi.errors without flush",
      (e) => (e["tsgi.errors"] = { write() {} }),
      "environ tsgi.errors must be an object with write and flush",
    ],
    [
      "tsgi.multithread a string",
      (e) => (e["tsgi.multithread"] = "no"),
      "environ tsgi.multithread must be a boolean",
    ],
    [
      "tsgi.multiprocess missing",
      (e) => delete e["tsgi.multiprocess"],
      "environ is missing tsgi.multiprocess",
    ],
    [
      "tsgi.run_once a number",
      (e) => (e["tsgi.run_once"] = 1),
      "environ tsgi.run_once must be a boolean",
    ],
    [
      "tsgi.signal not an AbortSignal",
      (e) => (e["tsgi.signal"] = {}),
      "environ tsgi.signal must be an AbortSignal",
    ],
    [
      "a char above 0xFF",
      (e) => (e.PATH_INFO = "/caf\u00e9\u0100"),
      "environ PATH_INFO holds a char above 0xFF",
    ],
    [
      "a header that is not a string",
      (e) => (e.HTTP_X_COUNT = 5),
      "environ HTTP_X_COUNT must be a string, got number 5",
    ],
  ];

  test.each(cases)("%s", async (_name, spoil, message) => {
    const environ = goodEnviron() as unknown as Record<string, unknown>;
    spoil(environ);
    const run = validator(okApp)(environ as Environ, noopStart);
    await expect(run).rejects.toThrow(ContractError);
    await expect(run).rejects.toThrow(`validator: ${message}`);
  });

  test("an environ that is not an object", async () => {
    await expect(validator(okApp)(null as unknown as Environ, noopStart)).rejects.toThrow(
      "validator: environ must be a plain object, got null",
    );
  });

  test("the server's good environ passes", async () => {
    await expect(validator(okApp)(goodEnviron(), noopStart)).resolves.toBeDefined();
  });
});

type Bad = (environ: Environ, start: StartResponse) => unknown;

/** An app that does `effect` with start_response and returns `body`. */
function started(effect: (start: StartResponse) => unknown, body: unknown): Bad {
  return (_environ, start) => {
    effect(start);
    return body;
  };
}

/** The correct app, after `effect` misused the environ's streams. */
function then(effect: (environ: Environ) => unknown): Bad {
  return (environ, start) => {
    effect(environ);
    return okApp(environ, start);
  };
}

describe("validator: application side", () => {
  const cases: Array<[string, Bad, string]> = [
    [
      "status not a string",
      (_e, s) => s(200 as never, []),
      "status must be a string, got number 200",
    ],
    ["status without a reason", (_e, s) => s("200", []), 'status "200" is not "NNN Reason"'],
    [
      "headers not an array",
      (_e, s) => s("200 OK", {} as never),
      "headers must be an array of [name, value] pairs",
    ],
    [
      "a header triple",
      (_e, s) => s("200 OK", [["A", "b", "c"]] as never),
      "header #0 must be a [name, value] pair",
    ],
    [
      "a header value not a string",
      (_e, s) => s("200 OK", [["X-N", 1]] as never),
      "header X-N value must be a string, got number 1",
    ],
    [
      "start_response twice",
      (_e, s) => {
        s("200 OK", []);
        s("404 Not Found", []);
      },
      "start_response() called a second time without excInfo",
    ],
    [
      "a string body",
      started((s) => s("200 OK", []), "hello"),
      'the application returned string "hello"',
    ],
    [
      "a Uint8Array body",
      started((s) => s("200 OK", []), enc.encode("hi")),
      "the application returned Uint8Array(2)",
    ],
    [
      "a number body",
      started((s) => s("200 OK", []), 5),
      "the application returned number 5, not an iterable",
    ],
    [
      "a string chunk",
      started((s) => s("200 OK", []), [enc.encode("a"), "b"]),
      'body chunk #1 got string "b": body chunks must be Uint8Array',
    ],
    [
      "a Promise chunk from a sync iterable",
      started((s) => s("200 OK", []), [Promise.resolve(enc.encode("a"))]),
      "body chunk #0 got an object (Promise)",
    ],
    [
      "a string to write()",
      started((s) => s("200 OK", [])("text" as never), []),
      'write() got string "text"',
    ],
    [
      "a chunk before start_response",
      () => [enc.encode("early")],
      "body chunk before start_response()",
    ],
    ["no start_response at all", () => [], "the body ended and start_response() was never called"],
    [
      "read() with a string size",
      then((e) => e["tsgi.input"].read("10" as never)),
      'tsgi.input.read() takes a number or nothing, got string "10"',
    ],
    [
      "readline() with two arguments",
      then((e) => (e["tsgi.input"].readline as (...a: unknown[]) => unknown)(1, 2)),
      "tsgi.input.readline() takes at most one argument",
    ],
    [
      "errors.write() with bytes",
      then((e) => e["tsgi.errors"].write(enc.encode("x") as never)),
      "tsgi.errors.write() takes a string, got Uint8Array(1)",
    ],
  ];

  test.each(cases)("%s", async (_name, bad, message) => {
    const res = await inject(validator(bad as Application));
    const error = res.outcome.error as Error;
    expect(error).toBeInstanceOf(ContractError);
    expect(error.message).toContain(`validator: ${message}`);
    expect(error.message.startsWith("validator: ")).toBe(true);
    expect(res.outcome.kind === "error" || res.outcome.kind === "broken").toBe(true);
  });

  test("start_response again with excInfo is allowed before the headers are sent", async () => {
    const app: Application = (_e, start) => {
      start("200 OK", []);
      start("500 Internal Server Error", [["X-Why", "oops"]], new Error("oops"));
      return [enc.encode("sorry")];
    };
    const res = await inject(validator(app));
    expect(res.outcome.kind).toBe("ok");
    expect(res.status).toBe("500 Internal Server Error");
    expect(res.text()).toBe("sorry");
  });

  test("a server that closes the body twice is caught", async () => {
    const body = (await validator(okApp)(goodEnviron(), noopStart)) as Body;
    await body.close?.();
    await expect(body.close?.()).rejects.toThrow(
      "validator: close() called more than once on the body",
    );
  });

  test("a server that iterates after close() is caught", async () => {
    const body = (await validator(okApp)(goodEnviron(), noopStart)) as AsyncIterable<Uint8Array> &
      Body;
    await body.close?.();
    await expect(body[Symbol.asyncIterator]().next()).rejects.toThrow(
      "validator: the body was iterated after close()",
    );
  });
});

describe("validator: a correct application passes through unchanged", () => {
  let closes = 0;
  const good: Application = async (environ, start) => {
    const input = environ["tsgi.input"];
    const first = await input.readline();
    const rest = await input.read(100);
    environ["tsgi.errors"].write("a log line\n");
    const write = start("201 Created", [
      ["Content-Type", "application/octet-stream"],
      ["X-Line", String(first.length)],
    ]);
    await write(enc.encode("via write;"));
    async function* chunks() {
      yield first;
      yield new Uint8Array(0);
      yield rest;
      yield Uint8Array.from([0, 255, 128]);
    }
    return Object.assign(chunks(), { close: () => void closes++ });
  };

  test.each([
    ["a body", "line one\nline two"],
    ["no body", ""],
  ])("with %s", async (_name, body) => {
    closes = 0;
    const request = { method: "POST", url: "/p?q=1", body };
    const plain = await inject(good, request);
    const checked = await inject(validator(good), request);
    expect(checked.outcome.kind).toBe("ok");
    expect(checked.status).toBe(plain.status);
    expect(checked.headers).toEqual(plain.headers);
    expect(Buffer.from(checked.body).equals(Buffer.from(plain.body))).toBe(true);
    expect(checked.errors).toBe(plain.errors);
    expect(closes).toBe(2);
  });

  test("a lazy start_response inside the first step of the body", async () => {
    const lazy: Application = (_e, start) =>
      (function* () {
        start("200 OK", [["Content-Length", "4"]]);
        yield enc.encode("lazy");
      })();
    const res = await inject(validator(lazy));
    expect(res.outcome.kind).toBe("ok");
    expect(res.text()).toBe("lazy");
  });
});
