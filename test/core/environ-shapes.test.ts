import { execFileSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { COMPILE_AT, EnvironShapes } from "../../src/core/environ-shapes.js";
import { metaVariables, testEnviron } from "../helpers/environ.js";

/** What one keyed store per name gives: the object a factory must reproduce exactly. */
function stored(names: string[], values: string[]): Record<string, string> {
  const object: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) {
    if (names[i] === "__proto__")
      Object.defineProperty(object, "__proto__", {
        value: values[i],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else object[names[i]] = values[i];
  }
  return object;
}

// Each case gets fresh names (a suffix per case) so the shared table starts at zero sightings.
let run = 0;
const fresh = (names: string[]) => {
  run++;
  return names.map((name) => (name === "__proto__" ? name : `${name}_${run}`));
};

describe("EnvironShapes", () => {
  test.each([
    ["nginx-like", ["QUERY_STRING", "REQUEST_METHOD", "SCRIPT_NAME", "HTTP_HOST"]],
    ["a repeated name keeps its last value, in its first place", ["A", "B", "A"]],
    [
      "quotes, backslashes, a line separator, latin-1",
      ['X"}; throw 1; ({"', "B\\", "C\u2028", "\u00e9\u00ff"],
    ],
    ["many names (a dictionary's worth)", Array.from({ length: 60 }, (_, i) => `HTTP_X_${i}`)],
  ])("%s: null until seen COMPILE_AT times, then the object keyed stores make", (_name, base) => {
    const names = fresh(base);
    const shapes = new EnvironShapes();
    const values = names.map((_, i) => `v${i}`);
    for (let i = 1; i < COMPILE_AT; i++)
      expect(shapes.build(names, values, names.length)).toBeNull();
    for (const seed of ["a", "b"]) {
      const next = names.map((_, i) => `${seed}${i}`);
      const built = shapes.build(names, next, names.length);
      expect(built).not.toBeNull();
      expect(Object.entries(built!)).toEqual(Object.entries(stored(names, next)));
      expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
    }
  });

  test("integer-like names keep the order keyed stores give them", () => {
    const names = ["B", "10", "A", "2"];
    const shapes = new EnvironShapes();
    for (let i = 1; i < COMPILE_AT; i++) shapes.build(names, ["1", "2", "3", "4"], 4);
    const built = shapes.build(names, ["5", "6", "7", "8"], 4);
    expect(Object.entries(built!)).toEqual(Object.entries(stored(names, ["5", "6", "7", "8"])));
  });

  test("sequences that would join to the same text keep their own factories", () => {
    const [a, b] = fresh(["A", "B"]);
    const pair = [a, b];
    const joined = [`${a}\0${b}`];
    const shapes = new EnvironShapes();
    for (let i = 1; i < COMPILE_AT; i++) shapes.build(pair, ["1", "2"], 2);
    expect(shapes.build(pair, ["1", "2"], 2)).toEqual({ [a]: "1", [b]: "2" });
    const other = new EnvironShapes();
    for (let i = 1; i <= COMPILE_AT; i++) {
      const built = other.build(joined, ["x"], 1);
      if (built !== null) expect(built).toEqual({ [joined[0]]: "x" });
    }
  });

  test("a name __proto__ is never compiled: it would set the prototype", () => {
    const names = fresh(["A", "__proto__"]);
    const shapes = new EnvironShapes();
    for (let i = 0; i <= COMPILE_AT; i++) expect(shapes.build(names, ["1", "2"], 2)).toBeNull();
  });

  test("only the first `count` names count; another connection shares the compiled factory", () => {
    const names = fresh(["A", "B", "C"]);
    const first = new EnvironShapes();
    for (let i = 1; i < COMPILE_AT; i++) {
      expect(first.build([...names, "EXTRA"], ["1", "2", "3", "x"], 3)).toBeNull();
    }
    const second = new EnvironShapes();
    expect(second.build(names, ["4", "5", "6"], 3)).toEqual({
      [names[0]]: "4",
      [names[1]]: "5",
      [names[2]]: "6",
    });
  });

  test("alternating sequences each get their own factory", () => {
    const one = fresh(["A", "B"]);
    const two = fresh(["A", "B", "C"]);
    const shapes = new EnvironShapes();
    for (let i = 1; i <= COMPILE_AT + 1; i++) {
      const a = shapes.build(one, ["1", "2"], 2);
      const b = shapes.build(two, ["1", "2", "3"], 3);
      if (i >= COMPILE_AT) {
        expect(Object.keys(a!)).toEqual(one);
        expect(Object.keys(b!)).toEqual(two);
      }
    }
  });
});

describe("buildEnviron with shapes", () => {
  // One errors stream and signal for both builds, so that their tsgi.* values compare equal.
  const options = {
    bodyWithoutLength: "until-end",
    errors: { write() {}, flush() {} },
    signal: new AbortController().signal,
  } as const;

  test.each([
    [
      "a GET with empty CONTENT_*",
      [
        ["REQUEST_METHOD", "GET"],
        ["CONTENT_TYPE", ""],
        ["CONTENT_LENGTH", ""],
        ["REQUEST_URI", "/a?b"],
        ["HTTP_HOST", "h"],
      ],
    ],
    [
      "a POST, then the same names",
      [
        ["REQUEST_METHOD", "POST"],
        ["CONTENT_TYPE", "text/plain"],
        ["CONTENT_LENGTH", "3"],
        ["REQUEST_URI", "/a"],
        ["HTTP_HOST", "h"],
      ],
    ],
    [
      "HTTP_CONTENT_* only",
      [
        ["REQUEST_METHOD", "POST"],
        ["HTTP_CONTENT_TYPE", "a/b"],
        ["HTTP_CONTENT_LENGTH", "0"],
        ["REQUEST_URI", "/"],
      ],
    ],
  ] as Array<[string, Array<[string, string]>]>)(
    "%s: the same environ as without shapes",
    (_name, pairs) => {
      const shapes = new EnvironShapes();
      const plain = testEnviron(metaVariables(...pairs), options);
      for (let i = 0; i <= COMPILE_AT; i++) {
        const shaped = testEnviron(metaVariables(...pairs), { ...options, shapes });
        const { "tsgi.input": _a, ...rest } = shaped;
        const { "tsgi.input": _b, ...expected } = plain;
        expect(Object.entries(rest)).toEqual(Object.entries(expected));
      }
    },
  );
});

// The factories are compiled with new Function; a runtime that forbids it gets keyed stores.
test("with --disallow-code-generation-from-strings the environ is still built", () => {
  const script = `
    const { buildEnviron } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    const { EnvironShapes } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
    const shapes = new EnvironShapes();
    const options = { source: null, bodyWithoutLength: "none", errors: { write() {}, flush() {} },
      signal: new AbortController().signal, multithread: false, multiprocess: true, runOnce: true, shapes };
    let last;
    for (let i = 0; i < 10; i++) last = buildEnviron({ REQUEST_METHOD: "GET", HTTP_X: String(i) }, options);
    console.log(last.HTTP_X, last.REQUEST_METHOD);
  `;
  const out = execFileSync(
    process.execPath,
    ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script],
    { encoding: "utf8" },
  );
  expect(out.trim()).toBe("9 GET");
});
