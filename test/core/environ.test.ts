import { describe, expect, test } from "vitest";
import { RequestAbort } from "../../src/core/abort.js";
import { ProtocolError } from "../../src/core/errors.js";
import type { ByteSource } from "../../src/core/input.js";
import { metaVariables, testEnviron } from "../helpers/environ.js";

const build = testEnviron;

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part, "latin1");
}

describe("a lazy tsgi.signal (RequestAbort)", () => {
  test("is made on first read, fires on abort, and shows in a spread copy", () => {
    const abort = new RequestAbort();
    const environ = build({}, { signal: abort });
    const signal = environ["tsgi.signal"];
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(environ["tsgi.signal"]).toBe(signal);
    abort.abort(new Error("gone"));
    expect(signal.aborted).toBe(true);
    expect({ ...environ }["tsgi.signal"]).toBe(signal);
  });

  test("can be replaced by a middleware, like any other environ key", () => {
    const environ = build({}, { signal: new RequestAbort() });
    const own = new AbortController().signal;
    environ["tsgi.signal"] = own;
    expect(environ["tsgi.signal"]).toBe(own);
    expect(Object.keys(environ)).toContain("tsgi.signal");
  });
});

describe("tsgi.* keys", () => {
  test("carry the options and the fixed version", () => {
    const signal = new AbortController().signal;
    const errors = { write() {}, flush() {} };
    const environ = build(
      {},
      { errors, signal, multithread: true, multiprocess: false, runOnce: false },
    );
    expect(environ["tsgi.version"]).toEqual([1, 0]);
    expect(environ["tsgi.errors"]).toBe(errors);
    expect(environ["tsgi.signal"]).toBe(signal);
    expect(environ["tsgi.multithread"]).toBe(true);
    expect(environ["tsgi.multiprocess"]).toBe(false);
    expect(environ["tsgi.run_once"]).toBe(false);
    expect(typeof environ["tsgi.input"].read).toBe("function");
    expect(typeof environ["tsgi.input"].readline).toBe("function");
    expect(typeof environ["tsgi.input"][Symbol.asyncIterator]).toBe("function");
  });

  test("do not share one mutable version array between requests", () => {
    const version = build({})["tsgi.version"] as unknown as number[];
    expect(() => {
      version[0] = 2;
    }).toThrow();
  });
});

describe("tsgi.url_scheme", () => {
  test.each([
    [{}, "http"],
    [{ HTTPS: "on" }, "https"],
    [{ HTTPS: "ON" }, "https"],
    [{ HTTPS: "1" }, "https"],
    [{ HTTPS: "off" }, "http"],
    [{ HTTPS: "" }, "http"],
    [{ REQUEST_SCHEME: "https" }, "https"],
    [{ REQUEST_SCHEME: "HTTPS" }, "https"],
    [{ REQUEST_SCHEME: "http" }, "http"],
    [{ SERVER_PORT_SECURE: "1" }, "https"],
    [{ SERVER_PORT_SECURE: "0" }, "http"],
  ] as Array<[Record<string, string>, string]>)("%j -> %s", (vars, scheme) => {
    expect(build(vars)["tsgi.url_scheme"]).toBe(scheme);
  });
});

describe("defaults", () => {
  test("fill what the server left out", () => {
    const environ = build({});
    expect(environ).toMatchObject({
      REQUEST_METHOD: "GET",
      SCRIPT_NAME: "",
      PATH_INFO: "",
      QUERY_STRING: "",
      SERVER_NAME: "localhost",
      SERVER_PORT: "80",
      SERVER_PROTOCOL: "HTTP/1.0",
    });
  });

  test("SERVER_PORT defaults to 443 under https", () => {
    expect(build({ HTTPS: "on" }).SERVER_PORT).toBe("443");
  });

  test("keep what the server set", () => {
    const vars = {
      REQUEST_METHOD: "POST",
      SCRIPT_NAME: "/app",
      PATH_INFO: "/x",
      QUERY_STRING: "a=1",
      SERVER_NAME: "example.org",
      SERVER_PORT: "8080",
      SERVER_PROTOCOL: "HTTP/1.1",
      REQUEST_URI: "/other?b=2",
    };
    expect(build(vars)).toMatchObject(vars);
  });
});

describe("PATH_INFO and QUERY_STRING from REQUEST_URI", () => {
  test.each([
    // [SCRIPT_NAME, REQUEST_URI, PATH_INFO, QUERY_STRING]
    ["/app", "/app/a%2Fb%FF?x", "/a/b\u00ff", "x"],
    ["", "/a%20b?q=%20&r", "/a b", "q=%20&r"],
    ["/app", "/app", "", ""],
    ["/app", "/app/", "/", ""],
    ["", "/", "/", ""],
    ["/cgi-bin/x.cgi", "/cgi-bin/x.cgi/p?", "/p", ""],
    ["/app", "/app/%zz", "/%zz", ""],
    ["/app", "/elsewhere/x", "", ""],
    // "/app" is not a prefix of "/application" as a path: segments must match.
    ["/app", "/application/x", "", ""],
  ])(
    "SCRIPT_NAME %j, REQUEST_URI %j -> PATH_INFO %j, QUERY_STRING %j",
    (script, uri, path, query) => {
      const environ = build({ SCRIPT_NAME: script, REQUEST_URI: uri });
      expect(environ.PATH_INFO).toBe(path);
      expect(environ.QUERY_STRING).toBe(query);
    },
  );

  test("are only derived when absent", () => {
    const environ = build({ REQUEST_URI: "/a?b", PATH_INFO: "/p", QUERY_STRING: "" });
    expect(environ.PATH_INFO).toBe("/p");
    expect(environ.QUERY_STRING).toBe("");
  });
});

describe("CONTENT_TYPE and CONTENT_LENGTH", () => {
  test.each([
    // [given, expected CONTENT_TYPE, expected CONTENT_LENGTH]
    [{ HTTP_CONTENT_TYPE: "text/plain" }, "text/plain", undefined],
    [{ HTTP_CONTENT_LENGTH: "3" }, undefined, "3"],
    [{ CONTENT_TYPE: "a/b", HTTP_CONTENT_TYPE: "c/d" }, "a/b", undefined],
    [{ CONTENT_LENGTH: "4", HTTP_CONTENT_LENGTH: "9" }, undefined, "4"],
    [{ CONTENT_TYPE: "", CONTENT_LENGTH: "" }, undefined, undefined],
    [{}, undefined, undefined],
  ] as Array<[Record<string, string>, string | undefined, string | undefined]>)(
    "%j",
    (vars, type, length) => {
      const environ = build(vars);
      expect(environ.CONTENT_TYPE).toBe(type);
      expect(environ.CONTENT_LENGTH).toBe(length);
      expect("CONTENT_TYPE" in environ).toBe(type !== undefined);
      expect("CONTENT_LENGTH" in environ).toBe(length !== undefined);
      expect("HTTP_CONTENT_TYPE" in environ).toBe(false);
      expect("HTTP_CONTENT_LENGTH" in environ).toBe(false);
    },
  );

  test.each(["abc", "-1", "1.5", " 5", "5 ", "1e3", "0x10", "9999999999999999"])(
    "a bad CONTENT_LENGTH %j is a ProtocolError naming it",
    (value) => {
      expect(() => build({ CONTENT_LENGTH: value })).toThrow(ProtocolError);
      expect(() => build({ CONTENT_LENGTH: value })).toThrow(JSON.stringify(value));
    },
  );

  test("CONTENT_LENGTH bounds tsgi.input", async () => {
    const environ = build({ CONTENT_LENGTH: "3" }, { source: chunks("abcdef") });
    expect(Buffer.from(await environ["tsgi.input"].read()).toString()).toBe("abc");
  });

  test.each([
    ["none", ""],
    ["until-end", "abcdef"],
  ] as const)("without CONTENT_LENGTH, bodyWithoutLength %s reads %j", async (mode, body) => {
    const source: ByteSource = chunks("abc", "def");
    const environ = build({}, { source, bodyWithoutLength: mode });
    expect(Buffer.from(await environ["tsgi.input"].read()).toString()).toBe(body);
  });
});

describe("odd variables", () => {
  test("a __proto__ variable stays a key and does not become the prototype", () => {
    const vars = JSON.parse('{"__proto__": "x", "REQUEST_METHOD": "PUT"}');
    const environ = build(vars);
    expect(Object.getPrototypeOf(environ)).toBe(Object.prototype);
    expect(Object.keys(environ)).toContain("__proto__");
    expect(Object.getOwnPropertyDescriptor(environ, "__proto__")?.value).toBe("x");
    expect(environ.REQUEST_METHOD).toBe("PUT");
  });

  test("other variables pass through, byte strings untouched", () => {
    const environ = build({ HTTP_X_RAW: "\u00ff\u0080", GATEWAY_INTERFACE: "CGI/1.1" });
    expect(environ.HTTP_X_RAW).toBe("\u00ff\u0080");
    expect(environ.GATEWAY_INTERFACE).toBe("CGI/1.1");
  });

  test("does not modify the variables it was given", () => {
    const vars = { HTTP_CONTENT_TYPE: "a/b", CONTENT_LENGTH: "" };
    build(vars);
    expect(vars).toEqual({ HTTP_CONTENT_TYPE: "a/b", CONTENT_LENGTH: "" });
  });
});

// A front-end that decodes the variables itself (FastCGI PARAMS) passes them as lists.
describe("MetaVariableList", () => {
  const plain = (environ: object) =>
    Object.fromEntries(Object.entries(environ).filter(([name]) => !name.startsWith("tsgi.")));

  test.each([
    [
      "nginx's GET",
      [
        ["REQUEST_METHOD", "GET"],
        ["CONTENT_TYPE", ""],
        ["CONTENT_LENGTH", ""],
        ["REQUEST_URI", "/a?b=1"],
      ],
    ],
    [
      "aliases only",
      [
        ["HTTP_CONTENT_TYPE", "t/x"],
        ["HTTP_CONTENT_LENGTH", "2"],
      ],
    ],
    [
      "alias and the real one",
      [
        ["CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_TYPE", "c/d"],
      ],
    ],
    [
      "a repeated name",
      [
        ["HTTP_X", "1"],
        ["SCRIPT_NAME", "/s"],
        ["HTTP_X", "2"],
      ],
    ],
    [
      "a repeated alias",
      [
        ["HTTP_CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_TYPE", "c/d"],
      ],
    ],
    ["byte strings", [["HTTP_X_RAW", "\u00ff\u0080"]]],
  ] as Array<[string, Array<[string, string]>]>)(
    "%s: the same environ as from an object",
    (_name, pairs) => {
      const fromList = build(metaVariables(...pairs));
      const fromObject = build(Object.fromEntries(pairs));
      expect(plain(fromList)).toEqual(plain(fromObject));
      expect(Object.keys(fromList)).toEqual(Object.keys(fromObject));
    },
  );

  test("a repeated name keeps its last value", () => {
    const environ = build(metaVariables(["HTTP_X", "1"], ["HTTP_X", "2"]));
    expect(environ.HTTP_X).toBe("2");
  });

  test("a __proto__ variable stays a key", () => {
    const environ = build(metaVariables(["__proto__", "x"]));
    expect(Object.getPrototypeOf(environ)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(environ, "__proto__")?.value).toBe("x");
  });
});

describe("HTTP_CONTENT_* aliases from a list", () => {
  test.each([
    [
      "the last alias wins",
      [
        ["HTTP_CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_TYPE", "c/d"],
      ],
      "c/d",
    ],
    [
      "an empty last alias means none",
      [
        ["HTTP_CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_TYPE", ""],
      ],
      undefined,
    ],
    [
      "the real one beats a later alias",
      [
        ["CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_TYPE", "c/d"],
      ],
      "a/b",
    ],
    [
      "an empty real one yields to the alias",
      [
        ["CONTENT_TYPE", ""],
        ["HTTP_CONTENT_TYPE", "c/d"],
      ],
      "c/d",
    ],
  ] as Array<[string, Array<[string, string]>, string | undefined]>)("%s", (_, pairs, expected) => {
    const environ = build(metaVariables(...pairs));
    expect(environ.CONTENT_TYPE).toBe(expected);
    expect("HTTP_CONTENT_TYPE" in environ).toBe(false);
  });
});
