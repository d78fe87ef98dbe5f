import { describe, expect, test } from "vitest";
import { FileWrapper, fileWrapper, isFileWrapper } from "../../src/core/file-wrapper.js";
import { inject } from "../../src/testing/inject.js";

/** An in-memory file with FileHandle's read(); counts close(). */
function memoryFile(bytes: Uint8Array) {
  const state = { closed: 0 };
  return {
    state,
    read: async (buffer: Uint8Array, offset: number, length: number, position: number | null) => {
      const start = position ?? 0;
      const part = bytes.subarray(start, start + length);
      buffer.set(part, offset);
      return { bytesRead: part.length };
    },
    close: () => void state.closed++,
  };
}

describe("tsgi.file_wrapper (PEP 3333 optional file handling)", () => {
  test("is in every environ and streams the file in blocks, then closes it", async () => {
    const file = memoryFile(Buffer.from("abcdefghij"));
    const sizes: number[] = [];
    const res = await inject((environ, start) => {
      start("200 OK", []);
      const body = environ["tsgi.file_wrapper"]!(file, 4);
      return Object.assign(
        (async function* () {
          for await (const chunk of body) {
            sizes.push(chunk.length);
            yield chunk;
          }
        })(),
        { close: () => body.close() },
      );
    });
    expect(res.text()).toBe("abcdefghij");
    expect(sizes).toEqual([4, 4, 2]);
    expect(file.state.closed).toBe(1);
  });

  test("start and length select a slice; close() is idempotent", async () => {
    const file = memoryFile(Buffer.from("abcdefghij"));
    const body = fileWrapper(file, { start: 2, length: 5, blockSize: 2 });
    const chunks: string[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk).toString());
    expect(chunks).toEqual(["cd", "ef", "g"]);
    await body.close();
    await body.close();
    expect(file.state.closed).toBe(1);
  });

  test("is recognised across copies by a registered symbol, and refuses a non-file", () => {
    expect(isFileWrapper(new FileWrapper(memoryFile(new Uint8Array())))).toBe(true);
    expect(isFileWrapper({ [Symbol.for("tsgi.file_wrapper")]: true })).toBe(true);
    expect(isFileWrapper([])).toBe(false);
    expect(() => fileWrapper({} as never)).toThrow(/read\(\)/);
  });
});
