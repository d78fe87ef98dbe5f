import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { badRequestApp } from "../../src/core/error-app.js";
import { ClientGoneError, ContractError } from "../../src/core/errors.js";
import { Response } from "../../src/core/response.js";
import { runApp, startApp } from "../../src/core/run.js";
import type {
  Application,
  Body,
  Environ,
  Headers,
  Outcome,
  Sink,
  StartResponse,
} from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";
import { logTo, testEnviron } from "../helpers/environ.js";

// Design §1: the ten rules runApp enforces, each with its own tests.

type Event =
  | { call: "commit"; status: string; headers: Headers }
  | { call: "write"; data: string }
  | { call: "end" }
  | { call: "abort"; error: unknown };

/** A sink that records every call, in order; each hook can make a call fail or wait. */
class RecordingSink implements Sink {
  events: Event[] = [];
  constructor(
    private readonly hooks: {
      commit?: (status: string) => void | Promise<void>;
      write?: (chunk: Uint8Array) => void | Promise<void>;
    } = {},
  ) {}
  commit(status: string, headers: Headers): void | Promise<void> {
    this.events.push({ call: "commit", status, headers: structuredClone(headers) });
    return this.hooks.commit?.(status);
  }
  write(chunk: Uint8Array): void | Promise<void> {
    this.events.push({ call: "write", data: Buffer.from(chunk).toString("latin1") });
    return this.hooks.write?.(chunk);
  }
  end(): void {
    this.events.push({ call: "end" });
  }
  abort(error: unknown): void {
    this.events.push({ call: "abort", error });
  }
  /** The calls in a short form: "commit 200 OK", "write abc", "end", "abort". */
  get calls(): string[] {
    return this.events.map((e) =>
      e.call === "commit" ? `commit ${e.status}` : e.call === "write" ? `write ${e.data}` : e.call,
    );
  }
}

interface Run {
  outcome: Outcome;
  sink: RecordingSink;
  log: string;
}

async function run(
  app: Application,
  options: { sink?: RecordingSink; method?: string; signal?: AbortSignal } = {},
): Promise<Run> {
  const sink = options.sink ?? new RecordingSink();
  const log = { text: "" };
  const environ = testEnviron(
    { REQUEST_METHOD: options.method ?? "GET", PATH_INFO: "/t" },
    { errors: logTo(log), ...(options.signal && { signal: options.signal }) },
  );
  const outcome = await runApp(app, environ, sink);
  return { outcome, sink, log: log.text };
}

const bytes = (text: string) => Buffer.from(text, "latin1");
const OK: [string, Headers] = ["200 OK", [["Content-Type", "text/plain"]]];
const ERROR_PAGE = ["commit 500 Internal Server Error", "write Internal Server Error\n", "end"];

function expectErrorPage(result: Run, message: string | RegExp) {
  expect(result.sink.calls).toEqual(ERROR_PAGE);
  expect(result.outcome.kind).toBe("error");
  expect(result.log).toMatch(message);
}

function expectBroken(result: Run) {
  expect(result.outcome.kind).toBe("broken");
  const calls = result.sink.calls;
  expect(calls[calls.length - 1]).toBe("abort");
  expect(calls).not.toContain("end");
  expect(calls).not.toContain("commit 500 Internal Server Error");
}

/** A generator function used as the app: its body runs on the first step (rule 4). */
function generatorApp(
  fn: (
    environ: Environ,
    startResponse: StartResponse,
  ) => Generator<Uint8Array, void> | AsyncGenerator<Uint8Array, void>,
): Application {
  return fn;
}

/** A body with a close() that counts its calls. */
function closing<T extends object>(body: T): T & { close(): void; closed: number } {
  const counted = Object.assign(body, {
    closed: 0,
    close() {
      counted.closed++;
    },
  });
  return counted;
}

describe("rule 1: no body before start_response", () => {
  test("a yielded chunk before start_response is an error", async () => {
    const result = await run(() => [bytes("early")]);
    expectErrorPage(result, /ContractError: write\(\) before start_response\(\)/);
  });

  test("the write callable before start_response is an error", async () => {
    const response = new Response(new RecordingSink(), "GET");
    await expect(async () => response.write(bytes("early"))).rejects.toThrow(
      "write() before start_response()",
    );
  });

  test("an empty chunk before start_response is fine (lazy start)", async () => {
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        yield new Uint8Array(0);
        startResponse(...OK);
        yield bytes("late");
      }),
    );
    expect(result.sink.calls).toEqual(["commit 200 OK", "write late", "end"]);
    expect(result.outcome.kind).toBe("ok");
  });

  test("an app that never calls start_response gets a 500", async () => {
    expectErrorPage(await run(() => []), /without calling start_response/);
  });
});

describe("rule 2: start_response twice without excInfo", () => {
  test("throws 'headers already set', which the app can catch", async () => {
    let caught: unknown;
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      try {
        startResponse("404 Not Found", []);
      } catch (error) {
        caught = error;
      }
      return [bytes("first")];
    });
    expect(caught).toBeInstanceOf(ContractError);
    expect((caught as Error).message).toContain("headers already set");
    expect(result.sink.calls).toEqual(["commit 200 OK", "write first", "end"]);
  });

  test("uncaught, it is a 500", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      startResponse("404 Not Found", []);
      return [];
    });
    expectErrorPage(result, /headers already set/);
  });

  test("null excInfo counts as none", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      startResponse("404 Not Found", [], null);
      return [];
    });
    expectErrorPage(result, /headers already set/);
  });
});

describe("rule 3: excInfo", () => {
  test("before the headers are sent, it replaces status and headers", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse("200 OK", [["Content-Type", "text/html"]]);
      try {
        throw new Error("half way");
      } catch (error) {
        startResponse("500 Oops", [["Content-Type", "text/plain"]], error);
        return [bytes("sorry")];
      }
    });
    expect(result.sink.events[0]).toEqual({
      call: "commit",
      status: "500 Oops",
      headers: [["Content-Type", "text/plain"]],
    });
    expect(result.sink.calls).toEqual(["commit 500 Oops", "write sorry", "end"]);
    expect(result.outcome).toMatchObject({ kind: "ok", status: "500 Oops" });
  });

  test("before the headers are sent, inside a generator after empty chunks", async () => {
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield new Uint8Array(0);
        startResponse("503 Busy", [], new Error("x"));
        yield bytes("later");
      }),
    );
    expect(result.sink.calls).toEqual(["commit 503 Busy", "write later", "end"]);
  });

  test("after the headers are sent, it throws excInfo itself and the response breaks", async () => {
    const failure = new Error("after commit");
    let thrown: unknown;
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield bytes("partial");
        try {
          startResponse("500 Oops", [], failure);
        } catch (error) {
          thrown = error;
          throw error;
        }
      }),
    );
    expect(thrown).toBe(failure);
    expectBroken(result);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write partial", "abort"]);
    expect(result.outcome.error).toBe(failure);
    expect(result.log).toContain("after commit");
  });

  test("a bad replacement status is refused and the original one stays", async () => {
    let refused: unknown;
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      try {
        startResponse("bad", [], new Error("x"));
      } catch (error) {
        refused = error;
      }
      return [bytes("ok")];
    });
    expect(refused).toBeInstanceOf(ContractError);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write ok", "end"]);
  });
});

describe("rule 4: lazy start_response", () => {
  test("inside a sync generator", async () => {
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield bytes("sync");
      }),
    );
    expect(result.sink.calls).toEqual(["commit 200 OK", "write sync", "end"]);
  });

  test("inside an async generator", async () => {
    const result = await run(
      generatorApp(async function* (_environ, startResponse) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        startResponse(...OK);
        yield bytes("async");
      }),
    );
    expect(result.sink.calls).toEqual(["commit 200 OK", "write async", "end"]);
  });

  test("inside a sync generator that yields nothing", async () => {
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse("204 No Content", []);
        yield* [];
      }),
    );
    expect(result.sink.calls).toEqual(["commit 204 No Content", "end"]);
  });
});

describe("rule 5: headers go out with the first non-empty chunk", () => {
  test("empty chunks do not commit; the first non-empty one does", async () => {
    const sink = new RecordingSink();
    const seen: string[][] = [];
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield new Uint8Array(0);
        seen.push(sink.calls);
        yield Buffer.alloc(0);
        seen.push(sink.calls);
        yield bytes("one");
        seen.push(sink.calls);
        yield new Uint8Array(0);
        yield bytes("two");
      }),
      { sink },
    );
    expect(seen).toEqual([[], [], ["commit 200 OK", "write one"]]);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write one", "write two", "end"]);
  });

  test("an empty body commits at the end", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return [];
    });
    expect(result.sink.calls).toEqual(["commit 200 OK", "end"]);
    expect(result.outcome).toMatchObject({ kind: "ok", status: "200 OK", bytesSent: 0 });
  });

  test("a body of only empty chunks commits at the end", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return [new Uint8Array(0), new Uint8Array(0)];
    });
    expect(result.sink.calls).toEqual(["commit 200 OK", "end"]);
  });

  test("the write callable commits on its first non-empty chunk", async () => {
    const sink = new RecordingSink();
    const result = await run(
      async (_environ, startResponse) => {
        const write = startResponse(...OK);
        await write(new Uint8Array(0));
        expect(sink.calls).toEqual([]);
        await write(bytes("w"));
        expect(sink.calls).toEqual(["commit 200 OK", "write w"]);
        return [bytes("b")];
      },
      { sink },
    );
    expect(result.sink.calls).toEqual(["commit 200 OK", "write w", "write b", "end"]);
  });

  test("unawaited writes reach the sink in order, after an async commit, before end", async () => {
    const order: string[] = [];
    const sink = new RecordingSink({
      commit: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("committed");
      },
      write: async (chunk) => {
        order.push(`write ${Buffer.from(chunk)}`);
        await new Promise((resolve) => setTimeout(resolve, 1));
      },
    });
    const result = await run(
      (_environ, startResponse) => {
        const write = startResponse(...OK);
        void write(bytes("a"));
        void write(bytes("b"));
        return [bytes("c")];
      },
      { sink },
    );
    expect(order).toEqual(["committed", "write a", "write b", "write c"]);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "write b", "write c", "end"]);
  });

  test("an async commit is awaited before the first write", async () => {
    const order: string[] = [];
    const sink = new RecordingSink({
      commit: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("committed");
      },
      write: (chunk) => void order.push(`write ${Buffer.from(chunk)}`),
    });
    await run(
      (_environ, startResponse) => {
        startResponse(...OK);
        return [bytes("a"), bytes("b")];
      },
      { sink },
    );
    expect(order).toEqual(["committed", "write a", "write b"]);
  });
});

describe("rule 7: body chunks are Uint8Array", () => {
  test("a string chunk says to use Buffer.from", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return ["text"] as unknown as Body;
    });
    expectErrorPage(result, /Uint8Array, got string "text".*Buffer\.from/);
  });

  test("a string through the write callable says to use Buffer.from", async () => {
    let caught: unknown;
    await run((_environ, startResponse) => {
      const write = startResponse(...OK);
      try {
        write("text" as unknown as Uint8Array);
      } catch (error) {
        caught = error;
      }
      return [];
    });
    expect(caught).toBeInstanceOf(ContractError);
    expect((caught as Error).message).toContain("Buffer.from");
  });

  test.each([
    ["a number", 5, "number 5"],
    ["null", null, "null"],
    ["an array of numbers", [104, 105], "an array of 2"],
    ["an ArrayBuffer", new ArrayBuffer(2), "an object \\(ArrayBuffer\\)"],
  ])("a chunk that is %s is refused", async (_, chunk, described) => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return [chunk] as unknown as Body;
    });
    expectErrorPage(result, new RegExp(`body chunk must be a Uint8Array, got ${described}`));
  });

  test.each([
    ["a string", "hello", /got string "hello": return \[chunk\], not chunk/],
    ["a Uint8Array", bytes("hello"), /got Buffer\(5\): return \[chunk\], not chunk/],
    ["a plain object", { a: 1 }, /must return an iterable of Uint8Array, got an object/],
    ["null", null, /must return an iterable of Uint8Array, got null/],
    ["undefined", undefined, /must return an iterable of Uint8Array, got undefined/],
    ["a number", 42, /must return an iterable of Uint8Array, got number 42/],
  ])("a body that is %s is a clear error", async (_, body, message) => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body as unknown as Body;
    });
    expectErrorPage(result, message);
  });

  test("other typed views over bytes are fine", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return [new Uint8Array([0x61, 0x62]), Buffer.from("c")];
    });
    expect(result.sink.calls).toEqual(["commit 200 OK", "write ab", "write c", "end"]);
  });
});

describe("rule 8: Content-Length", () => {
  const declaring = (length: string, chunks: string[], status = "200 OK"): Application =>
    generatorApp(function* (_environ, startResponse) {
      startResponse(status, [["Content-Length", length]]);
      for (const chunk of chunks) yield bytes(chunk);
    });

  test("over-run: never more bytes than declared reach the sink", async () => {
    const result = await run(declaring("3", ["ab", "cd", "ef"]));
    expect(result.sink.calls).toEqual(["commit 200 OK", "write ab", "write c", "end"]);
    expect(result.outcome).toMatchObject({ kind: "ok", bytesSent: 3, overrun: 3 });
  });

  test("over-run through the write callable", async () => {
    const result = await run(async (_environ, startResponse) => {
      const write = startResponse("200 OK", [["Content-Length", "2"]]);
      await write(bytes("abc"));
      return [bytes("d")];
    });
    expect(result.sink.calls).toEqual(["commit 200 OK", "write ab", "end"]);
    expect(result.outcome.overrun).toBe(2);
  });

  test("exact length: no overrun reported", async () => {
    const result = await run(declaring("4", ["ab", "cd"]));
    expect(result.outcome.kind).toBe("ok");
    expect(result.outcome.overrun).toBeUndefined();
  });

  test("under-run after commit breaks the response", async () => {
    const result = await run(declaring("10", ["abc"]));
    expectBroken(result);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write abc", "abort"]);
    expect(result.outcome.error).toBeInstanceOf(ContractError);
    expect(result.log).toContain("body ended after 3 of 10 bytes declared by Content-Length");
  });

  test("under-run with an empty body breaks it too", async () => {
    const result = await run(declaring("5", []));
    expect(result.sink.calls).toEqual(["commit 200 OK", "abort"]);
    expect(result.outcome.kind).toBe("broken");
  });

  test("under-run is allowed for HEAD", async () => {
    const result = await run(declaring("10", []), { method: "HEAD" });
    expect(result.sink.calls).toEqual(["commit 200 OK", "end"]);
    expect(result.outcome.kind).toBe("ok");
  });

  test.each(["204 No Content", "304 Not Modified"])("under-run is allowed for %s", async (s) => {
    const result = await run(declaring("10", [], s));
    expect(result.sink.calls).toEqual([`commit ${s}`, "end"]);
    expect(result.outcome.kind).toBe("ok");
  });
});

describe("rule 9: close() exactly once", () => {
  test("sync array-like body, on success", async () => {
    const body = closing([bytes("a")]);
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(result.outcome.kind).toBe("ok");
    expect(body.closed).toBe(1);
  });

  test("async iterable body, on success", async () => {
    const body = closing({
      async *[Symbol.asyncIterator]() {
        yield bytes("a");
      },
    });
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "end"]);
    expect(body.closed).toBe(1);
  });

  test.each([
    ["before the headers", 0, "error"],
    ["after the headers", 1, "broken"],
  ] as const)("when the app's iteration throws %s", async (_, okSteps, kind) => {
    let step = 0;
    const body = closing({
      [Symbol.iterator]: () => ({
        next: () => {
          if (step++ < okSteps) return { done: false, value: bytes("a") };
          throw new Error("iteration failed");
        },
      }),
    });
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(result.outcome.kind).toBe(kind);
    expect(body.closed).toBe(1);
  });

  test("when the app returns a rejected promise there is no body to close", async () => {
    const result = await run(async () => {
      throw new Error("no body");
    });
    expectErrorPage(result, /no body/);
  });

  test("when the sink write rejects with ClientGoneError", async () => {
    const body = closing([bytes("a"), bytes("b")]);
    const gone = new ClientGoneError();
    const sink = new RecordingSink({ write: () => Promise.reject(gone) });
    const result = await run(
      (_environ, startResponse) => {
        startResponse(...OK);
        return body;
      },
      { sink },
    );
    expect(result.outcome.kind).toBe("gone");
    expect(result.outcome.error).toBe(gone);
    expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "abort"]);
    expect(body.closed).toBe(1);
  });

  test("when tsgi.signal aborts mid-stream: ends promptly, closes, leaves no listener", async () => {
    const controller = new AbortController();
    const never = new Promise<IteratorResult<Uint8Array>>(() => {});
    let nexts = 0;
    const body = closing({
      [Symbol.asyncIterator]: () => ({
        next: () => (nexts++ === 0 ? Promise.resolve({ done: false, value: bytes("a") }) : never),
      }),
    });
    const sink = new RecordingSink({
      write: () => void setTimeout(() => controller.abort(new ClientGoneError("test abort")), 5),
    });
    const started = Date.now();
    const result = await run(
      (_environ, startResponse) => {
        startResponse(...OK);
        return body;
      },
      { sink, signal: controller.signal },
    );
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.outcome.kind).toBe("gone");
    expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "abort"]);
    expect(body.closed).toBe(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  }, 2000);

  test("an async generator awaiting forever is ended by the abort", async () => {
    const controller = new AbortController();
    const app = generatorApp(async function* (_environ, startResponse) {
      startResponse(...OK);
      yield bytes("a");
      await new Promise(() => {});
    });
    setTimeout(() => controller.abort(), 10);
    const result = await run(app, { signal: controller.signal });
    expect(result.outcome.kind).toBe("gone");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  }, 2000);

  test("a signal aborted before the body starts ends the run without a body", async () => {
    const controller = new AbortController();
    controller.abort();
    const body = closing({
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<Uint8Array>>(() => {}),
      }),
    });
    const result = await run(
      (_environ, startResponse) => {
        startResponse(...OK);
        return body;
      },
      { signal: controller.signal },
    );
    expect(result.outcome.kind).toBe("gone");
    expect(body.closed).toBe(1);
  }, 2000);

  test("a normal async run leaves no listener on the signal", async () => {
    const controller = new AbortController();
    await run(
      generatorApp(async function* (_environ, startResponse) {
        startResponse(...OK);
        yield bytes("a");
        yield bytes("b");
      }),
      { signal: controller.signal },
    );
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  test("a close() that throws is logged and the response still completes", async () => {
    const body = Object.assign([bytes("a")], {
      close() {
        throw new Error("close failed");
      },
    });
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(result.outcome.kind).toBe("ok");
    expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "end"]);
    expect(result.log).toMatch(/error in close\(\).*close failed/);
  });

  test("an async close() is awaited before runApp resolves", async () => {
    let finished = false;
    const body = Object.assign([bytes("a")], {
      async close() {
        await new Promise((resolve) => setTimeout(resolve, 10));
        finished = true;
      },
    });
    await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(finished).toBe(true);
  });

  test("an async close() that rejects is logged", async () => {
    const body = Object.assign([], {
      close: () => Promise.reject(new Error("async close failed")),
    });
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      return body;
    });
    expect(result.outcome.kind).toBe("ok");
    expect(result.log).toContain("async close failed");
  });

  test("the error app's close is separate: the app's close() still runs once", async () => {
    const body = closing([bytes("early")]);
    const result = await run(() => body);
    expect(result.outcome.kind).toBe("error");
    expect(body.closed).toBe(1);
  });

  test("a generator's finally runs when the consumer stops early (sync)", async () => {
    let finallyRan = false;
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        try {
          startResponse(...OK);
          yield bytes("a");
          yield "bad" as unknown as Uint8Array;
          yield bytes("never");
        } finally {
          finallyRan = true;
        }
      }),
    );
    expect(result.outcome.kind).toBe("broken");
    expect(finallyRan).toBe(true);
  });

  test("a generator's finally runs when the consumer stops early (async, client gone)", async () => {
    let finallyRan = false;
    const sink = new RecordingSink({ write: () => Promise.reject(new ClientGoneError()) });
    const result = await run(
      generatorApp(async function* (_environ, startResponse) {
        try {
          startResponse(...OK);
          yield bytes("a");
          yield bytes("never");
        } finally {
          finallyRan = true;
        }
      }),
      { sink },
    );
    expect(result.outcome.kind).toBe("gone");
    await vi.waitFor(() => expect(finallyRan).toBe(true));
  });

  test("iterator.return() is called once on an early stop, not on a normal end", async () => {
    const returns: string[] = [];
    const make = (values: unknown[], name: string) =>
      ({
        [Symbol.iterator]: () => {
          const rest = [...values];
          return {
            next: () =>
              rest.length > 0 ? { done: false, value: rest.shift() } : { done: true, value: 0 },
            return: () => {
              returns.push(name);
              return { done: true, value: undefined };
            },
          };
        },
      }) as unknown as Body;
    const start: Application = (_environ, startResponse) => {
      startResponse(...OK);
      return make([bytes("a")], "normal");
    };
    await run(start);
    await run((_environ, startResponse) => {
      startResponse(...OK);
      return make([bytes("a"), "bad"], "early");
    });
    expect(returns).toEqual(["early"]);
  });
});

describe("rule 10: errors", () => {
  test("an error before headers is a 500 page without the stack; the stack is logged", async () => {
    const result = await run((_environ, startResponse) => {
      startResponse(...OK);
      throw new Error("secret detail");
    });
    expectErrorPage(result, /secret detail/);
    const page = result.sink.events.find((e) => e.call === "write");
    expect(page).toEqual({ call: "write", data: "Internal Server Error\n" });
    expect(result.log).toMatch(/Error: secret detail\n\s+at /);
    expect(result.log).toContain("GET /t");
    expect(result.outcome.error).toBeInstanceOf(Error);
  });

  test("an error after headers breaks the response: abort, no 500", async () => {
    const failure = new Error("mid-stream");
    const result = await run(
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield bytes("a");
        throw failure;
      }),
    );
    expectBroken(result);
    const abort = result.sink.events.at(-1);
    expect(abort).toEqual({ call: "abort", error: failure });
    expect(result.outcome).toMatchObject({ kind: "broken", status: "200 OK", bytesSent: 1 });
  });

  test.each<[string, Application, Outcome["kind"]]>([
    [
      "throws synchronously",
      () => {
        throw new Error("sync");
      },
      "error",
    ],
    ["returns a rejected promise", () => Promise.reject(new Error("async")), "error"],
    [
      "throws a non-Error",
      () => {
        throw "a string";
      },
      "error",
    ],
    [
      "throws mid-iteration",
      generatorApp(function* (_environ, startResponse) {
        startResponse(...OK);
        yield bytes("a");
        throw new Error("mid");
      }),
      "broken",
    ],
    [
      "throws in close()",
      (_environ, startResponse) => {
        startResponse(...OK);
        return Object.assign([bytes("a")], {
          close() {
            throw new Error("close");
          },
        });
      },
      "ok",
    ],
  ])("an app that %s does not take the process down", async (_, app, kind) => {
    const result = await run(app);
    expect(result.outcome.kind).toBe(kind);
    expect(result.log).not.toBe("");
  });

  test("the error app failing too ends in abort, not a throw from runApp", async () => {
    const sink = new RecordingSink({
      commit: () => {
        throw new Error("commit failed");
      },
    });
    const result = await run(
      () => {
        throw new Error("app failed");
      },
      { sink },
    );
    expect(result.outcome.kind).toBe("broken");
    expect(result.sink.calls).toEqual(["commit 500 Internal Server Error", "abort"]);
    expect(result.log).toContain("app failed");
    expect(result.log).toContain("commit failed");
  });

  test("a custom error app that fails ends in abort", async () => {
    const log = { text: "" };
    const sink = new RecordingSink();
    const environ = testEnviron({}, { errors: logTo(log) });
    const outcome = await runApp(
      () => {
        throw new Error("first");
      },
      environ,
      sink,
      {
        errorApp: () => {
          throw new Error("second");
        },
      },
    );
    expect(outcome.kind).toBe("broken");
    expect(sink.calls).toEqual(["abort"]);
    expect(log.text).toContain("first");
    expect(log.text).toContain("second");
  });

  test("an errors stream that throws does not take the request down", async () => {
    const sink = new RecordingSink();
    const environ = testEnviron(
      {},
      {
        errors: {
          write() {
            throw new Error("stderr closed");
          },
          flush() {},
        },
      },
    );
    const outcome = await runApp(
      () => {
        throw new Error("x");
      },
      environ,
      sink,
    );
    expect(outcome.kind).toBe("error");
    expect(sink.calls).toEqual(ERROR_PAGE);
  });

  describe("unawaited write()", () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => void rejections.push(reason);
    beforeEach(() => {
      rejections.length = 0;
      process.on("unhandledRejection", onRejection);
    });
    afterEach(() => {
      process.off("unhandledRejection", onRejection);
    });

    test("a rejected write the app never awaits is no unhandled rejection", async () => {
      const sink = new RecordingSink({ write: () => Promise.reject(new ClientGoneError()) });
      const result = await run(
        (_environ, startResponse) => {
          const write = startResponse(...OK);
          void write(bytes("a"));
          void write(bytes("b"));
          return [];
        },
        { sink },
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rejections).toEqual([]);
      // The failed write still counts: the response did not complete.
      expect(result.outcome.kind).toBe("gone");
      expect(result.sink.calls).toEqual(["commit 200 OK", "write a", "abort"]);
    });

    test("an app that awaits write() sees the rejection", async () => {
      const gone = new ClientGoneError();
      let seen: unknown;
      const sink = new RecordingSink({ write: () => Promise.reject(gone) });
      const result = await run(
        async (_environ, startResponse) => {
          const write = startResponse(...OK);
          try {
            await write(bytes("a"));
          } catch (error) {
            seen = error;
            throw error;
          }
          return [];
        },
        { sink },
      );
      expect(seen).toBe(gone);
      expect(result.outcome.kind).toBe("gone");
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(rejections).toEqual([]);
    });
  });
});

describe("the same rules through inject()", () => {
  test("a 500 page for an error before headers", async () => {
    const result = await inject(() => {
      throw new Error("hidden");
    });
    expect(result.status).toBe("500 Internal Server Error");
    expect(result.text()).toBe("Internal Server Error\n");
    expect(result.errors).toContain("hidden");
  });

  test("lazy start and Content-Length clipping", async () => {
    const result = await inject(
      generatorApp(function* (_environ, startResponse) {
        startResponse("200 OK", [["Content-Length", "2"]]);
        yield bytes("abc");
      }),
    );
    expect(result.text()).toBe("ab");
    expect(result.outcome.overrun).toBe(1);
  });
});

// The synchronous fast path: when nothing is pending the request is over before runApp returns,
// and the general path takes over at the first pending promise.
describe("runApp without pending promises", () => {
  function loggingEnviron(log: { text: string }) {
    return testEnviron({ REQUEST_METHOD: "GET", PATH_INFO: "/t" }, { errors: logTo(log) });
  }

  test("an array body is sent and ended before runApp returns", async () => {
    const sink = new RecordingSink();
    const pending = runApp(
      (_e, start) => {
        start(...OK);
        return [bytes("a"), bytes("b")];
      },
      loggingEnviron({ text: "" }),
      sink,
    );
    expect(sink.calls).toEqual(["commit 200 OK", "write a", "write b", "end"]);
    expect(await pending).toMatchObject({ kind: "ok", bytesSent: 2 });
  });

  test.each([
    [
      "a sync throw",
      () => {
        throw new Error("boom");
      },
    ],
    ["a bad body", () => 42 as unknown as Uint8Array[]],
  ])("%s still gets the error page, and a promise", async (_name, body) => {
    const sink = new RecordingSink();
    const log = { text: "" };
    const pending = runApp(
      (_e, start) => {
        start(...OK);
        return body();
      },
      loggingEnviron(log),
      sink,
    );
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).kind).toBe("error");
    expect(sink.calls).toEqual(ERROR_PAGE);
    expect(log.text).toMatch(/tsgi: error in application/);
  });

  test.each([
    ["a sync close()", () => undefined],
    ["an async close()", () => Promise.resolve()],
    [
      "a close() that throws",
      () => {
        throw new Error("close failed");
      },
    ],
  ])("%s is called exactly once", async (_name, close) => {
    let closed = 0;
    const sink = new RecordingSink();
    const outcome = await runApp(
      (_e, start) => {
        start(...OK);
        return Object.assign([bytes("x")], {
          close: () => {
            closed++;
            return close();
          },
        });
      },
      loggingEnviron({ text: "" }),
      sink,
    );
    expect(closed).toBe(1);
    expect(outcome.kind).toBe("ok");
    expect(sink.calls).toEqual(["commit 200 OK", "write x", "end"]);
  });

  test("a sink that makes the first write wait hands over to the general path", async () => {
    let release: () => void = () => {};
    const sink = new RecordingSink({
      write: (chunk) =>
        chunk[0] === 0x61 ? new Promise<void>((resolve) => (release = resolve)) : undefined,
    });
    const pending = runApp(
      (_e, start) => {
        start(...OK);
        return [bytes("a"), bytes("b")];
      },
      loggingEnviron({ text: "" }),
      sink,
    );
    expect(sink.calls).toEqual(["commit 200 OK", "write a"]);
    release();
    expect(await pending).toMatchObject({ kind: "ok", bytesSent: 2 });
    expect(sink.calls).toEqual(["commit 200 OK", "write a", "write b", "end"]);
  });
});

describe("startApp", () => {
  const sink: Sink = { commit() {}, write() {}, end() {}, abort() {} };
  const environ = environFor;

  test("a synchronous app's Outcome comes back at once, not as a promise", () => {
    const app: Application = (_e, start) => {
      start(...OK);
      return [bytes("hi")];
    };
    const result = startApp(app, environ(), sink);
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ kind: "ok", status: "200 OK", bytesSent: 2 });
  });

  test("an async app's Outcome is a promise", async () => {
    const app: Application = async (_e, start) => {
      start(...OK);
      return [bytes("hi")];
    };
    const result = startApp(app, environ(), sink);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toMatchObject({ kind: "ok", bytesSent: 2 });
  });
});

describe("an app error that carries an errno code is the app's error, not a client gone", () => {
  test.each(["ECONNRESET", "EPIPE", "ERR_STREAM_DESTROYED"])(
    "%s thrown before the headers: the 500 page and a log line",
    async (code) => {
      const app: Application = () => {
        throw Object.assign(new Error("upstream database reset the connection"), { code });
      };
      const res = await inject(app);
      expect(res.statusCode).toBe(500);
      expect(res.outcome.kind).toBe("error");
      expect(res.errors).toContain("upstream database reset the connection");
    },
  );

  test("a ClientGoneError from the sink is still a client gone, quietly", async () => {
    const app: Application = (_environ, startResponse) => {
      startResponse("200 OK", []);
      return [Buffer.from("x")];
    };
    const sink: Sink = {
      commit() {},
      write() {
        return Promise.reject(new ClientGoneError());
      },
      end() {},
      abort() {},
    };
    const outcome = await runApp(app, environFor(), sink);
    expect(outcome.kind).toBe("gone");
  });
});

function environFor() {
  return testEnviron({ REQUEST_METHOD: "GET" }, { runOnce: false });
}

describe("write() after the response ended", () => {
  test("rejects instead of throwing, so a late timer cannot crash the process", async () => {
    let late: ((chunk: Uint8Array) => Promise<void>) | undefined;
    const app: Application = (_environ, startResponse) => {
      late = startResponse("200 OK", []);
      return [Buffer.from("done")];
    };
    const res = await inject(app);
    expect(res.text()).toBe("done");
    let thrown: unknown;
    let result: Promise<void> | undefined;
    try {
      result = late?.(Buffer.from("too late"));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeUndefined();
    await expect(result).rejects.toThrow("write() after the response ended");
  });
});

describe("the 400 page", () => {
  test("goes through the core's checks and names nothing of the request", async () => {
    const res = await inject(badRequestApp);
    expect(res.status).toBe("400 Bad Request");
    expect(res.header("content-length")).toBe(String(res.body.length));
    expect(res.text()).toBe("Bad Request\n");
  });
});
