import { describe, expect, test } from "vitest";
import { IncompleteBodyError } from "../../src/core/errors.js";
import { createInput } from "../../src/core/input.js";
import type { Input } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";

/** A source that yields these chunks, and counts how many it was asked for. */
function source(...parts: string[]) {
  const state = { pulled: 0 };
  async function* generate(): AsyncGenerator<Uint8Array> {
    for (const part of parts) {
      state.pulled++;
      yield Buffer.from(part, "latin1");
    }
  }
  return { iterable: generate(), state };
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

async function readAll(input: Input, step: (input: Input) => Promise<Uint8Array>) {
  const out: string[] = [];
  for (;;) {
    const chunk = await step(input);
    if (chunk.length === 0) return out;
    out.push(text(chunk));
  }
}

describe("read(size)", () => {
  test.each([
    // [chunks, size, pieces]
    [["abcdef"], 2, ["ab", "cd", "ef"]],
    [["ab", "cd", "ef"], 3, ["abc", "def"]],
    [["a", "b", "c", "d", "e"], 2, ["ab", "cd", "e"]],
    [["abc", "", "de"], 4, ["abcd", "e"]],
    [["abcdef"], 100, ["abcdef"]],
  ])("%j in reads of %i -> %j", async (parts, size, pieces) => {
    const input = createInput(source(...parts).iterable, undefined);
    expect(await readAll(input, (i) => i.read(size))).toEqual(pieces);
  });

  test("read() returns everything that is left, then empty", async () => {
    const input = createInput(source("ab", "cd", "ef").iterable, 6);
    expect(text(await input.read(1))).toBe("a");
    expect(text(await input.read())).toBe("bcdef");
    expect((await input.read()).length).toBe(0);
    expect((await input.read(5)).length).toBe(0);
  });

  test("read(0) is empty and consumes nothing", async () => {
    const input = createInput(source("ab").iterable, 2);
    expect((await input.read(0)).length).toBe(0);
    expect(text(await input.read())).toBe("ab");
  });
});

describe("readline(limit?)", () => {
  test.each([
    // [chunks, limit, lines]
    [["a\nbb\nccc"], undefined, ["a\n", "bb\n", "ccc"]],
    [["a", "b\nc", "d\n", "\n"], undefined, ["ab\n", "cd\n", "\n"]],
    [["abcdef\nx"], 4, ["abcd", "ef\n", "x"]],
    [["ab", "cd", "ef\n"], 3, ["abc", "def", "\n"]],
    [["\n\n"], undefined, ["\n", "\n"]],
  ] as Array<[string[], number | undefined, string[]]>)(
    "%j with limit %s -> %j",
    async (parts, limit, lines) => {
      const input = createInput(source(...parts).iterable, undefined);
      expect(await readAll(input, (i) => i.readline(limit))).toEqual(lines);
    },
  );

  test("read and readline share one buffer", async () => {
    const input = createInput(source("line1\nrest", "-more").iterable, undefined);
    expect(text(await input.readline())).toBe("line1\n");
    expect(text(await input.read(2))).toBe("re");
    expect(text(await input.readline())).toBe("st-more");
  });
});

describe("async iteration", () => {
  test("yields the body in chunks, and what read() left", async () => {
    const input = createInput(source("abc", "def", "gh").iterable, undefined);
    expect(text(await input.read(1))).toBe("a");
    const seen: string[] = [];
    for await (const chunk of input) seen.push(text(chunk));
    expect(seen.join("")).toBe("bcdefgh");
    expect(seen.every((chunk) => chunk.length > 0)).toBe(true);
  });
});

describe("CONTENT_LENGTH bounds", () => {
  test("never reads past it when the source has more", async () => {
    const { iterable, state } = source("abc", "def", "ghi", "jkl");
    const input = createInput(iterable, 5);
    expect(text(await input.read())).toBe("abcde");
    expect((await input.read()).length).toBe(0);
    expect(text(await input.readline())).toBe("");
    // It stopped pulling once it had CONTENT_LENGTH bytes.
    expect(state.pulled).toBe(2);
  });

  test("for-await stops at it too", async () => {
    const input = createInput(source("abc", "def").iterable, 4);
    const seen: string[] = [];
    for await (const chunk of input) seen.push(text(chunk));
    expect(seen.join("")).toBe("abcd");
  });

  test("a length of 0 reads nothing from the source", async () => {
    const { iterable, state } = source("abc");
    const input = createInput(iterable, 0);
    expect((await input.read()).length).toBe(0);
    expect(state.pulled).toBe(0);
  });

  test("no source is an empty body", async () => {
    expect((await createInput(null, undefined).read()).length).toBe(0);
  });

  test.each<[string, (input: Input) => Promise<unknown>]>([
    ["read()", (input) => input.read()],
    ["read(100)", (input) => input.read(100)],
    ["readline()", (input) => input.readline()],
    [
      "for await",
      async (input) => {
        for await (const _ of input);
      },
    ],
  ])("a short body fails %s with IncompleteBodyError naming both counts", async (_, consume) => {
    const input = createInput(source("abc", "de").iterable, 10);
    const error = await consume(input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompleteBodyError);
    expect((error as IncompleteBodyError).expected).toBe(10);
    expect((error as IncompleteBodyError).received).toBe(5);
    expect((error as Error).message).toContain("5 of 10");
    // And it keeps failing: the body cannot become complete later.
    await expect(input.read()).rejects.toBeInstanceOf(IncompleteBodyError);
  });

  test("a source that works as a plain AsyncIterator is accepted", async () => {
    const chunks = [Buffer.from("xy"), Buffer.from("z")];
    const iterator: AsyncIterator<Uint8Array> = {
      async next() {
        const value = chunks.shift();
        return value ? { value, done: false } : { value: undefined, done: true };
      },
    };
    expect(text(await createInput(iterator, undefined).read())).toBe("xyz");
  });
});

describe("through inject", () => {
  test("the app can catch an incomplete body and answer 400", async () => {
    const result = await inject(
      async (environ, startResponse) => {
        try {
          await environ["tsgi.input"].read();
        } catch (error) {
          startResponse("400 Bad Request", [["Content-Type", "text/plain"]]);
          return [Buffer.from((error as Error).message)];
        }
        startResponse("200 OK", []);
        return [];
      },
      { method: "POST", body: "abc", headers: { "Content-Length": "7" } },
    );
    expect(result.status).toBe("400 Bad Request");
    expect(result.text()).toContain("3 of 7");
  });

  test("the request body arrives whole", async () => {
    const result = await inject(
      async (environ, startResponse) => {
        const body = await environ["tsgi.input"].read();
        startResponse("200 OK", []);
        return [body];
      },
      { method: "POST", body: "hello \u00e9" },
    );
    expect(result.text()).toBe("hello \u00e9");
  });
});

describe("reads that overlap", () => {
  test("two reads at once get the bytes in call order and both settle", async () => {
    let pending = 0;
    let most = 0;
    // A source that, like FastCGI's STDIN queue, may hold only one waiter at a time.
    const source: AsyncIterator<Uint8Array> = {
      async next() {
        pending++;
        most = Math.max(most, pending);
        await new Promise((r) => setTimeout(r, 5));
        pending--;
        return { done: false, value: Buffer.from("abcde") };
      },
    };
    const input = createInput(source, 10);
    const [first, second] = await Promise.all([input.read(5), input.read(5)]);
    expect(Buffer.from(first).toString()).toBe("abcde");
    expect(Buffer.from(second).toString()).toBe("abcde");
    expect(most).toBe(1);
  });
});
