import { describe, expect, test } from "vitest";
import { ContractError } from "../../src/core/errors.js";
import { checkHeaderList, checkHeaders, checkStatus } from "../../src/core/headers.js";
import { runApp } from "../../src/core/run.js";
import type { Application, Headers, Sink } from "../../src/core/types.js";
import { logTo, testEnviron } from "../helpers/environ.js";

// Design §1 rule 6: a refused status or header never reaches the sink; the client gets the 500
// page and tsgi.errors names what was refused.

interface Commit {
  status: string;
  headers: Headers;
}

async function run(app: Application) {
  const commits: Commit[] = [];
  const written: Uint8Array[] = [];
  const sink: Sink = {
    commit: (status, headers) => {
      commits.push({ status, headers: structuredClone(headers) });
    },
    write: (chunk) => {
      written.push(chunk);
    },
    end: () => {},
    abort: () => {},
  };
  const log = { text: "" };
  const environ = testEnviron({}, { errors: logTo(log) });
  const outcome = await runApp(app, environ, sink);
  return { commits, body: Buffer.concat(written).toString("latin1"), log: log.text, outcome };
}

/** An app that starts its response with this status and these headers, then sends a body. */
function starting(status: unknown, headers: unknown): Application {
  return (_environ, startResponse) => {
    startResponse(status as string, headers as Headers);
    return [Buffer.from("SECRET BODY")];
  };
}

async function expectRefused(status: unknown, headers: unknown, named: string[]) {
  const { commits, body, log, outcome } = await run(starting(status, headers));
  expect(commits).toHaveLength(1);
  expect(commits[0].status).toBe("500 Internal Server Error");
  expect(commits[0].headers.map(([name]) => name)).toEqual(["Content-Type", "Content-Length"]);
  expect(body).toBe("Internal Server Error\n");
  expect(outcome.kind).toBe("error");
  expect(log).toContain("ContractError");
  for (const fragment of named) expect(log).toContain(fragment);
}

const OK = "200 OK";

describe("header values", () => {
  test.each([
    ["CR", "a\rb"],
    ["LF", "a\nb"],
    ["CRLF injection", "x\r\nSet-Cookie: evil=1"],
    ["NUL", "a\u0000b"],
    ["a char above 0xFF", "caf\u00e9\u20ac"],
    ["an astral char", "\u{1f600}"],
  ])("%s is refused", async (_, value) => {
    await expectRefused(OK, [["X-Value", value]], ["X-Value", JSON.stringify(value)]);
  });

  test.each([
    ["a number", 5, "number 5"],
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
  ])("a value that is %s is refused", async (_, value, described) => {
    await expectRefused(OK, [["X-Value", value]], ["X-Value", described]);
  });

  test("latin-1 bytes, tabs and empty values are fine", async () => {
    const { commits } = await run(
      starting(OK, [
        ["X-Bytes", "caf\u00c3\u00a9 \u00ff"],
        ["X-Tab", "a\tb"],
        ["X-Empty", ""],
      ]),
    );
    expect(commits).toEqual([
      {
        status: OK,
        headers: [
          ["X-Bytes", "caf\u00c3\u00a9 \u00ff"],
          ["X-Tab", "a\tb"],
          ["X-Empty", ""],
        ],
      },
    ]);
  });
});

describe("header names", () => {
  test.each([
    ["a space", "X Name"],
    ["a colon", "X:Name"],
    ["empty", ""],
    ["non-ASCII", "X-N\u00e4me"],
    ["a CR", "X\rY"],
    ["a slash", "X/Y"],
    ["brackets", "(X)"],
  ])("a name with %s is refused", async (_, name) => {
    await expectRefused(OK, [[name, "v"]], [JSON.stringify(name), "token"]);
  });

  test("a name that is not a string is refused", async () => {
    await expectRefused(OK, [[7, "v"]], ["header #0 name", "number 7"]);
  });

  test.each([
    "Connection",
    "Keep-Alive",
    "Transfer-Encoding",
    "Upgrade",
    "TE",
    "Trailer",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "connection",
    "TRANSFER-ENCODING",
  ])("hop-by-hop %s is refused", async (name) => {
    await expectRefused(OK, [[name, "x"]], [`header ${name}`, "hop-by-hop"]);
  });

  test.each(["Status", "status"])("a %s header is refused", async (name) => {
    await expectRefused(OK, [[name, "404 Not Found"]], ["Status", "start_response"]);
  });

  test("every tchar is allowed", async () => {
    const name = "!#$%&'*+-.^_`|~09azAZ";
    const { commits } = await run(starting(OK, [[name, "v"]]));
    expect(commits[0].headers).toEqual([[name, "v"]]);
  });
});

describe("statuses", () => {
  test.each([
    ["200", ['"200"', "NNN Reason"]],
    ["200OK", ['"200OK"']],
    ["20 OK", ['"20 OK"']],
    ["2000 OK", ['"2000 OK"']],
    ["099 X", ['"099 X"']],
    ["abc OK", ['"abc OK"']],
    [" 200 OK", ['" 200 OK"']],
    ["200\tOK", ['"200\\tOK"']],
    ["200 O\nK", ['"200 O\\nK"', "LF"]],
    ["200 O\rK", ['"200 O\\rK"', "CR"]],
    ["200 O\u0000K", ["NUL"]],
    ["200 \u20ac", ["0xFF"]],
    ["100 Continue", ['"100 Continue"', "200-599"]],
    ["101 Switching Protocols", ["200-599"]],
    ["600 Nope", ["200-599"]],
    [200, ["status must be a string", "number 200"]],
    [null, ["status must be a string", "null"]],
    [undefined, ["status must be a string"]],
  ] as Array<[unknown, string[]]>)("%j is refused", async (status, named) => {
    await expectRefused(status, [], named);
  });

  test.each(["200 OK", "404 Not Found", "599 Whatever", "200 ", "201 Cr\u00e9\u00e9"])(
    "%j is accepted",
    async (status) => {
      const { commits } = await run(starting(status, []));
      expect(commits).toEqual([{ status, headers: [] }]);
    },
  );
});

describe("header list shape", () => {
  test.each([
    ["an object", { "Content-Type": "text/plain" }, ["headers must be an array", "object"]],
    ["a string", "Content-Type: text/plain", ["headers must be an array", "string"]],
    ["null", null, ["headers must be an array", "null"]],
    ["undefined", undefined, ["headers must be an array", "undefined"]],
    ["a flat pair", ["Content-Type", "text/plain"], ["header #0", "pair"]],
    ["a triple", [["X-A", "1", "2"]], ["header #0", "pair", "an array of 3"]],
    ["a single", [["X-A"]], ["header #0", "pair", "an array of 1"]],
    ["a pair object", [{ name: "X-A", value: "1" }], ["header #0", "pair"]],
    ["a later bad entry", [["X-A", "1"], null], ["header #1", "pair", "null"]],
  ])("%s is refused", async (_, headers, named) => {
    await expectRefused(OK, headers, named);
  });
});

describe("Content-Length", () => {
  test.each([
    [
      "given twice",
      [
        ["Content-Length", "3"],
        ["content-length", "3"],
      ],
      ["Content-Length", "twice"],
    ],
    ["not a number", [["Content-Length", "abc"]], ['Content-Length: "abc"']],
    ["negative", [["Content-Length", "-1"]], ['"-1"']],
    ["fractional", [["Content-Length", "1.5"]], ['"1.5"']],
    ["with spaces", [["Content-Length", " 3"]], ['" 3"']],
    ["empty", [["Content-Length", ""]], ['Content-Length: ""']],
    ["a list", [["Content-Length", "3, 3"]], ['"3, 3"']],
  ])("%s is refused", async (_, headers, named) => {
    await expectRefused(OK, headers, named);
  });
});

describe("a refused start_response changes nothing", () => {
  test("an app that catches the error can still answer", async () => {
    const { commits, body, outcome } = await run((_environ, startResponse) => {
      expect(() => startResponse("200 OK", [["Connection", "close"]])).toThrow(/hop-by-hop/);
      startResponse("200 OK", [["X-Fine", "1"]]);
      return [Buffer.from("fine")];
    });
    expect(commits).toEqual([{ status: "200 OK", headers: [["X-Fine", "1"]] }]);
    expect(body).toBe("fine");
    expect(outcome.kind).toBe("ok");
  });

  test("the headers are copied: changing the array later does not reach the sink", async () => {
    const { commits } = await run((_environ, startResponse) => {
      const headers: Headers = [["X-A", "1"]];
      startResponse("200 OK", headers);
      headers.push(["Connection", "close"]);
      headers[0][1] = "a\r\nb";
      return [Buffer.from("x")];
    });
    expect(commits).toEqual([{ status: "200 OK", headers: [["X-A", "1"]] }]);
  });
});

describe("checkStatus / checkHeaders directly", () => {
  test("checkStatus returns the code", () => {
    expect(checkStatus("404 Not Found")).toBe(404);
  });

  test("checkHeaders returns the headers", () => {
    const headers: Headers = [["A", "b"]];
    expect(checkHeaders(headers)).toEqual(headers);
  });
});

// headers.ts caches names and status lines that passed: a cached string must be exactly as
// strict the second time, and the cache must never let a bad one through.
describe("checks after the name and status caches are warm", () => {
  test.each([1, 2, 3])("round %i: the same checks, the same errors", () => {
    expect(checkStatus("200 OK")).toBe(200);
    expect(checkHeaderList([["Content-Length", "5"]], null)).toBe(5);
    expect(() =>
      checkHeaders([
        ["Content-Length", "5"],
        ["content-length", "5"],
      ]),
    ).toThrow("Content-Length is given twice");
    expect(() =>
      checkHeaders([
        ["Content-Length", "5"],
        ["Content-Length", "5"],
      ]),
    ).toThrow("Content-Length is given twice");
    expect(() => checkHeaders([["Content-Length", "x"]])).toThrow("is not a byte count");
    expect(() => checkHeaders([["Content-Type", "a\r\nb"]])).toThrow("CR, LF, NUL");
    expect(() => checkHeaders([["Connection", "close"]])).toThrow("hop-by-hop");
    expect(() => checkHeaders([["Status", "200 OK"]])).toThrow("Status is not allowed");
    expect(() => checkHeaders([["Bad Name", "x"]])).toThrow("not an HTTP token");
    expect(() => checkStatus("200 OK\r\nX: y")).toThrow("CR, LF, NUL");
    expect(() => checkStatus("100 Continue")).toThrow("200-599");
  });

  test("checkHeaderList copies the pairs and finds the declared length", () => {
    const headers: Headers = [
      ["X-A", "1"],
      ["content-LENGTH", "12"],
    ];
    const copy: Headers = [];
    expect(checkHeaderList(headers, copy)).toBe(12);
    expect(copy).toEqual(headers);
    expect(copy[0]).not.toBe(headers[0]);
    expect(checkHeaderList([["X-A", "1"]], null)).toBeUndefined();
  });

  test("a name that failed is still refused after many that passed", () => {
    for (let i = 0; i < 600; i++) checkHeaders([[`X-Made-Up-${i}`, "v"]]);
    expect(() => checkHeaders([["Transfer-Encoding", "chunked"]])).toThrow("hop-by-hop");
    expect(checkHeaderList([["X-Made-Up-599", "v"]], null)).toBeUndefined();
  });
});

describe("control characters in values (RFC 9110 §5.5)", () => {
  test.each([
    ["\x01", "SOH"],
    ["\x1b[31m", "ESC"],
    ["\x7f", "DEL"],
    ["a\x0bb", "VT"],
  ])("a value holding %j (%s) is refused, naming the header", (bad) => {
    expect(() => checkHeaders([["X-Bad", `a${bad}b`]])).toThrow(
      /header X-Bad value .*control char/,
    );
  });

  test("a horizontal tab and obs-text bytes are allowed", () => {
    expect(() => checkHeaders([["X-Ok", "a\tb \u00e9\u00ff"]])).not.toThrow();
  });

  test("a reason phrase holding a control char is refused", () => {
    expect(() => checkStatus("200 O\x01K")).toThrow(ContractError);
  });
});
