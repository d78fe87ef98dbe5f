import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, test } from "vitest";
import type { Environ } from "../../src/core/types.js";
import { inject } from "../../src/testing/inject.js";
import type { FormLimits } from "../../src/wrappers/form.js";
import { PartHeaderGuard } from "../../src/wrappers/part-header-guard.js";
import { Request } from "../../src/wrappers/request.js";
import { Response } from "../../src/wrappers/response.js";
import { safeFilename, type UploadedFile } from "../../src/wrappers/uploads.js";
import { testEnviron } from "../helpers/environ.js";

const BOUNDARY = "----tsgi-test-boundary";
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

type Part = {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
  extra?: string;
};

function multipart(parts: Part[], end = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += "\r\n";
    if (part.type) head += `Content-Type: ${part.type}\r\n`;
    if (part.extra) head += part.extra;
    chunks.push(Buffer.from(`${head}\r\n`), Buffer.from(part.value), Buffer.from("\r\n"));
  }
  if (end) chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

const temp = mkdtempSync(join(tmpdir(), "tsgi-form-test-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** An app that parses the form and answers with what it got. */
function formApp(limits: FormLimits = {}, seen?: (files: UploadedFile[]) => void) {
  return Request.application(
    async (request) => {
      const form = await request.form();
      seen?.(form.files);
      const files = await Promise.all(
        form.files.map(async (f) => ({
          field: f.fieldName,
          filename: f.filename,
          size: f.size,
          type: f.contentType,
          onDisk: f.path !== undefined,
          text: await f.text(),
        })),
      );
      return Response.json({ fields: [...form.fields], files });
    },
    { tempDir: temp, ...limits },
  );
}

function post(body: Buffer | string, type: string, headers: Record<string, string> = {}) {
  return { method: "POST", url: "/", body, headers: { "Content-Type": type, ...headers } };
}

describe("urlencoded forms", () => {
  test("fields, repeated names and UTF-8", async () => {
    const res = await inject(
      formApp(),
      post("a=1&a=2&b=caf%C3%A9+x&c=", "application/x-www-form-urlencoded; charset=utf-8"),
    );
    expect(res.json()).toEqual({
      fields: [
        ["a", "1"],
        ["a", "2"],
        ["b", "café x"],
        ["c", ""],
      ],
      files: [],
    });
  });

  test.each([
    ["form memory", { maxFormMemory: 10 }, `a=${"x".repeat(20)}`, 413],
    ["content length", { maxContentLength: 10 }, `a=${"x".repeat(20)}`, 413],
    ["parts", { maxParts: 3 }, "a=1&b=2&c=3&d=4", 413],
  ])("past the %s limit -> %i", async (_, limits, body, status) => {
    const res = await inject(formApp(limits), post(body, "application/x-www-form-urlencoded"));
    expect(res.statusCode).toBe(status);
    expect(res.text()).toMatch(/limit|more than/);
  });

  test("exactly at the limits is accepted", async () => {
    const res = await inject(
      formApp({ maxFormMemory: 15, maxParts: 4 }),
      post("a=1&b=2&c=3&d=4", "application/x-www-form-urlencoded"),
    );
    expect(res.statusCode).toBe(200);
  });

  test("a request without a body has an empty form", async () => {
    expect((await inject(formApp(), { url: "/" })).json()).toEqual({ fields: [], files: [] });
  });

  test("another Content-Type is a 415", async () => {
    expect((await inject(formApp(), post("{}", "application/json"))).statusCode).toBe(415);
  });
});

describe("multipart forms", () => {
  test("fields and a small file, held in memory", async () => {
    const body = multipart([
      { name: "title", value: "héllo" },
      { name: "doc", value: "file body", filename: "a.txt", type: "text/plain" },
    ]);
    const res = await inject(formApp(), post(body, MULTIPART));
    expect(res.json()).toEqual({
      fields: [["title", "héllo"]],
      files: [
        {
          field: "doc",
          filename: "a.txt",
          size: 9,
          type: "text/plain",
          onDisk: false,
          text: "file body",
        },
      ],
    });
  });

  test("a file past fileMemoryLimit goes to a temp file, removed when the response is done", async () => {
    let paths: string[] = [];
    const big = Buffer.alloc(200_000, 0x61);
    const body = multipart([
      { name: "up", value: big, filename: "big.bin", type: "application/octet-stream" },
    ]);
    const res = await inject(
      formApp({ fileMemoryLimit: 1024 }, (files) => {
        paths = files.map((f) => f.path as string);
      }),
      post(body, MULTIPART),
    );
    expect(filesOf(res)[0]).toMatchObject({ size: 200_000, onDisk: true });
    expect(paths[0].startsWith(temp)).toBe(true);
    expect(existsSync(paths[0])).toBe(false);
  });

  test.each([
    ["../../etc/passwd", "passwd"],
    ["..\\..\\windows\\win.ini", "win.ini"],
    ["/abs/path.txt", "path.txt"],
    ["..", ""],
    ["a\u0001b.txt", "ab.txt"],
  ])("filename %j is reduced to %j and never used as a path", async (filename, safe) => {
    let path: string | undefined;
    const body = multipart([{ name: "f", value: Buffer.alloc(5000, 1), filename }]);
    const res = await inject(
      formApp({ fileMemoryLimit: 10 }, (files) => {
        path = files[0]?.path;
      }),
      post(body, MULTIPART),
    );
    expect(filesOf(res)[0].filename).toBe(safe);
    expect(path?.startsWith(temp)).toBe(true);
    expect(path).not.toContain(safe || "..");
    expect(safeFilename(filename)).toBe(safe);
  });

  test.each([
    [
      "parts",
      { maxParts: 2 },
      [
        { name: "a", value: "1" },
        { name: "b", value: "2" },
        { name: "c", value: "3" },
      ],
      413,
    ],
    ["form memory", { maxFormMemory: 50 }, [{ name: "a", value: "x".repeat(60) }], 413],
    [
      "form memory, summed",
      { maxFormMemory: 50 },
      [
        { name: "a", value: "x".repeat(30) },
        { name: "b", value: "y".repeat(30) },
      ],
      413,
    ],
    [
      "file size",
      { maxFileSize: 100 },
      [{ name: "f", value: "z".repeat(101), filename: "f.txt" }],
      413,
    ],
    ["content length", { maxContentLength: 100 }, [{ name: "a", value: "x".repeat(200) }], 413],
  ])("past the %s limit -> %i", async (_, limits, parts, status) => {
    const res = await inject(
      formApp(limits as FormLimits),
      post(multipart(parts as Part[]), MULTIPART),
    );
    expect(res.statusCode).toBe(status);
    expect(res.text()).toMatch(/limit|more than/);
  });

  test("a part header over maxHeaderSize -> 431 or 400, never parsed in full", async () => {
    const body = multipart([{ name: "a", value: "1", extra: `X-Pad: ${"p".repeat(20_000)}\r\n` }]);
    const res = await inject(formApp({ maxHeaderSize: 1024 }), post(body, MULTIPART));
    expect(res.statusCode).toBe(431);
    expect(res.text()).toMatch(/header exceeds the limit of 1024 bytes/);
  });

  test("the header guard finds the same limit however the body is split (fast-check)", () => {
    const body = multipart([
      { name: "a", value: "1" },
      { name: "b", value: "2", extra: `X-Pad: ${"p".repeat(600)}\r\n` },
      { name: "c", value: Buffer.from(`x\r\n--${BOUNDARY.slice(0, 5)}\r\n\r\n`) },
    ]);
    const verdict = (limit: number, cuts: number[]) => {
      const guard = new PartHeaderGuard(BOUNDARY, limit);
      const points = [...new Set(cuts.map((c) => c % body.length))].sort((x, y) => x - y);
      let start = 0;
      for (const point of [...points, body.length]) {
        if (!guard.feed(body.subarray(start, point))) return false;
        start = point;
      }
      return true;
    };
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(verdict(700, cuts)).toBe(true);
        expect(verdict(500, cuts)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  test("the total limit holds without CONTENT_LENGTH too (a chunked upload)", async () => {
    const body = multipart([{ name: "f", value: Buffer.alloc(5000), filename: "x" }]);
    const environ = environWithBody([body], { CONTENT_TYPE: MULTIPART });
    const request = new Request(environ, { maxContentLength: 1000, tempDir: temp });
    await expect(request.form()).rejects.toMatchObject({ status: 413 });
  });

  test.each([
    ["no boundary", "multipart/form-data", multipart([{ name: "a", value: "1" }])],
    ["truncated body", MULTIPART, multipart([{ name: "a", value: "1" }], false)],
  ])("%s -> 400", async (_, type, body) => {
    const res = await inject(formApp(), post(body, type));
    expect(res.statusCode).toBe(400);
  });

  test("an upload is streamed to its temp file while the body still arrives", async () => {
    const dir = mkdtempSync(join(temp, "stream-"));
    const chunk = Buffer.alloc(16 * 1024, 0x62);
    const head = Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="f"; filename="s.bin"\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    const onDiskMidway: number[] = [];
    async function* source() {
      yield head;
      for (let i = 0; i < 64; i++) {
        yield chunk;
        if (i === 48) onDiskMidway.push(bytesUnder(dir));
      }
      yield tail;
    }
    const request = new Request(environWithBody(source(), { CONTENT_TYPE: MULTIPART }), {
      fileMemoryLimit: 4096,
      tempDir: dir,
    });
    const form = await request.form();
    const file = form.file("f") as UploadedFile;
    expect(file.size).toBe(64 * chunk.length);
    // Half the upload was on disk before the last chunk arrived: nothing waited in memory.
    expect(onDiskMidway[0]).toBeGreaterThan(32 * chunk.length);
    expect(readFileSync(file.path as string).equals(Buffer.concat(Array(64).fill(chunk)))).toBe(
      true,
    );
    await request.dispose();
    expect(bytesUnder(dir)).toBe(0);
  });
});

function filesOf(res: { json(): unknown }): Array<Record<string, unknown>> {
  return (res.json() as { files: Array<Record<string, unknown>> }).files;
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile())
      total += statSync(
        join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name),
      ).size;
  }
  return total;
}

function environWithBody(
  source: AsyncIterable<Uint8Array> | Uint8Array[],
  vars: Record<string, string>,
): Environ {
  async function* from() {
    for await (const chunk of source) yield chunk;
  }
  return testEnviron(
    { REQUEST_METHOD: "POST", ...vars },
    { source: from(), bodyWithoutLength: "until-end" },
  );
}
